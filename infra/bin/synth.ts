// `npm run synth [-- -c key=value ... -o DIR]`: writes the CloudFormation templates to infra/cdk.out (no AWS
// credentials, no network, no lookups), with the user id of pinpipe.yaml unless -c uid= says otherwise. Run by
// the CDK CLI as the app of infra/cdk.json, it takes the CLI's context and output folder instead, and warns of a
// context key it does not read (the CLI passes any through).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/index.ts';
import { PinpipeError, exitCodeFor } from '../../src/errors.ts';
import { CONTEXT_KEYS, buildPinpipe, infraSettings, newApp } from '../src/index.ts';

const OUTDIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'cdk.out');

function parseArgs(argv: string[]): { outdir: string; context: Record<string, string> } {
  const out: Record<string, string> = {};
  let outdir = OUTDIR;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-o' || arg === '--output') {
      const dir = argv[++i];
      if (dir === undefined) throw new PinpipeError('USAGE', `infra synth: ${arg} needs a folder (USAGE).`);
      outdir = path.resolve(dir);
      continue;
    }
    const pair = arg === '-c' || arg === '--context' ? argv[++i] : arg.replace(/^--context=/, '');
    const m = pair === undefined ? null : /^([A-Za-z]+)=(.*)$/.exec(pair);
    if (!m) throw new PinpipeError('USAGE', `infra synth: expected -c key=value, got "${arg}${pair !== arg && pair !== undefined ? ` ${pair}` : ''}" (USAGE). Keys: ${CONTEXT_KEYS.join(', ')}.`);
    if (!CONTEXT_KEYS.includes(m[1]!)) throw new PinpipeError('USAGE', `infra synth: unknown context key "${m[1]}" (USAGE). Keys: ${CONTEXT_KEYS.join(', ')}.`);
    out[m[1]!] = m[2]!;
  }
  return { outdir, context: out };
}

try {
  const fromCli = process.env['CDK_OUTDIR'] !== undefined;
  const app = newApp(fromCli ? {} : parseArgs(process.argv.slice(2)));
  const context = Object.fromEntries(CONTEXT_KEYS.flatMap((k) => {
    const v: unknown = app.node.tryGetContext(k);
    return v === undefined ? [] : [[k, v]];
  }));
  if (fromCli) {
    // The CDK CLI passes any -c key through; one this app does not read (a misspelling) would change nothing.
    // CDK's own keys are namespaced ("aws:cdk:...", "@aws-cdk/...", lookups "<kind>:account=..."), or this one.
    const unknown = Object.keys(app.node.getAllContext() as Record<string, unknown>)
      .filter((k) => !CONTEXT_KEYS.includes(k) && !k.includes(':') && !k.startsWith('@') && k !== 'acknowledged-issue-numbers');
    if (unknown.length > 0) {
      console.error(`infra synth: warning: context ${unknown.map((k) => `"${k}"`).join(', ')} not read by this app, ignored. Keys: ${CONTEXT_KEYS.join(', ')}.`);
    }
  }
  const settings = infraSettings(context, loadConfig({ env: process.env }).userId);
  buildPinpipe(app, settings);
  const assembly = app.synth();
  for (const stack of assembly.stacks) console.log(path.relative(process.cwd(), path.join(assembly.directory, stack.templateFile)));
} catch (e) {
  if (e instanceof PinpipeError) {
    console.error(e.message);
    process.exitCode = exitCodeFor(e.code);
  } else {
    // cdk-nag findings and CDK validation errors: the report is printed above by CDK.
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  }
}

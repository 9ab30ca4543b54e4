// The pinpipe command line: parses arguments, loads the configuration, runs a command (src/cli/commands/),
// and maps errors to messages and exit codes (see EXIT_CODES). Data goes to stdout, progress and logs to
// stderr. This folder is the only place that reads the environment (besides config/), draws progress and
// installs signal handlers.
import { parseArgs } from 'node:util';
import { PinpipeError, exitCodeFor } from '../errors.ts';
import { configLoader, EXIT_CODES, helpText, parseArgsOptions, typedFlags } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { useJavaHome } from '../local/spark/index.ts';

export function usage(): string {
  const lines = [...COMMANDS.values()].map((c) => `  ${c.usage[0]}`);
  return [
    'pinpipe: Pinterest\'s data pipeline as Databricks notebooks, with a local Spark + Delta runtime.',
    '',
    'Usage: pinpipe <command> [options]   (pinpipe <command> --help for its options)',
    '',
    'Commands:',
    ...lines,
    '',
    'Common options: --config FILE (default ./pinpipe.yaml), --lake DIR (lake root), --target NAME, -h/--help.',
    EXIT_CODES,
    '',
  ].join('\n');
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? process.stdout : process.stderr).write(usage());
    return name ? 0 : 2;
  }
  useJavaHome(env['JAVA_HOME']);
  const cmd = COMMANDS.get(name);
  if (!cmd) {
    process.stderr.write(`pinpipe: unknown command "${name}".\n\n${usage()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: parseArgsOptions(cmd), allowPositionals: true, strict: true });
    if (values['help']) {
      process.stdout.write(helpText(cmd));
      return 0;
    }
    const flags = typedFlags(cmd.flags, values);
    return (await cmd.run({
      flags,
      args: positionals,
      config: configLoader(values, env),
      env,
      log: (line) => process.stderr.write(`${line}\n`),
      out: (text) => process.stdout.write(text),
    })) ?? 0;
  } catch (error) {
    if (error instanceof PinpipeError) {
      process.stderr.write(`${error.message}\n`);
      return exitCodeFor(error.code);
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`pinpipe ${name}: ${error.message}\n\n${helpText(cmd)}`);
      return 2;
    }
    process.stderr.write(`pinpipe ${name}: unexpected failure: ${error instanceof Error ? error.stack : String(error)}\n`);
    return 1;
  }
}

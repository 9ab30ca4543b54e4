// How a command of the CLI is declared: its usage lines, what it does, its flags with their types and help,
// and its run function, which gets the flags already parsed and checked (a number that is not one is a usage
// error naming the flag, the value and what is allowed). `--help` of every command is made from this.
import type { ParseArgsConfig } from 'node:util';
import { loadConfig, type Config } from '../config/index.ts';
import path from 'node:path';
import { PinpipeError } from '../errors.ts';
import { PROJECT_ROOT } from '../project.ts';

export type Flag =
  | { type: 'string'; help: string; value?: string; multiple?: boolean }
  | { type: 'boolean'; help: string }
  | { type: 'int'; help: string; value?: string; min?: number; max?: number }
  | { type: 'number'; help: string; value?: string; min?: number; max?: number }
  | { type: 'port'; help: string }
  | { type: 'enum'; help: string; values: readonly string[] };

export type Flags = Record<string, Flag>;

type ValueOf<F extends Flag> = F extends { type: 'boolean' }
  ? boolean
  : F extends { type: 'int' | 'number' | 'port' }
    ? number
    : F extends { type: 'enum'; values: readonly (infer V)[] }
      ? V
      : F extends { multiple: true }
        ? string[]
        : string;

/** Parsed flags: each absent flag is undefined, so a command applies its own (often configured) default. */
export type Parsed<F extends Flags> = { [K in keyof F]: ValueOf<F[K]> | undefined };

export interface Context<F extends Flags> {
  flags: Parsed<F>;
  args: string[];
  /** The configuration with --config, --lake and --target applied (loaded on first use). */
  config(): Config;
  env: NodeJS.ProcessEnv;
  /** Progress and messages (stderr). */
  log(line: string): void;
  /** Data (stdout). */
  out(text: string): void;
}

export interface Command<F extends Flags = Flags> {
  name: string;
  /** Usage lines, without the leading `pinpipe `. */
  usage: string[];
  /** What it does, a few lines. */
  about: string[];
  flags: F;
  run(ctx: Context<F>): Promise<number | void>;
}

/** Declares a command (keeps the flag types for its run function). */
export function command<const F extends Flags>(c: Command<F>): Command<F> {
  return c;
}

export const COMMON_FLAGS = {
  config: { type: 'string', value: 'FILE', help: 'the configuration file (default ./pinpipe.yaml, or PINPIPE_CONFIG)' },
  lake: { type: 'string', value: 'DIR', help: 'the lake root (default lake_root of the configuration)' },
  target: { type: 'string', value: 'NAME', help: 'the target: local or a Databricks target of the configuration' },
} as const satisfies Flags;

export const EXIT_CODES = 'Exit codes: 0 success, 1 failure, 2 usage or configuration error, 3 credentials refused, 4 host unreachable, 130 cancelled by Ctrl-C.';

/** The real rows of the seed (../shared/data/real beside the project), the default of --from. */
export function realDataDir(): string {
  return path.resolve(PROJECT_ROOT, '..', 'shared', 'data', 'real');
}

export function usageError(message: string): never {
  throw new PinpipeError('USAGE', message);
}

function flagLabel(name: string, f: Flag): string {
  if (f.type === 'boolean') return `--${name}`;
  if (f.type === 'enum') return `--${name} ${f.values.join('|')}`;
  if (f.type === 'port') return `--${name} PORT`;
  return `--${name} ${f.value ?? (f.type === 'string' ? 'TEXT' : 'N')}`;
}

export function helpText(c: Command): string {
  const lines = c.usage.map((u, i) => `${i === 0 ? 'Usage: ' : '       '}pinpipe ${u}`);
  lines.push('', ...c.about.map((l) => `  ${l}`));
  const all: [string, Flag][] = [...Object.entries(c.flags), ...Object.entries(COMMON_FLAGS as Flags), ['help', { type: 'boolean', help: 'this help' }]];
  const labels = all.map(([n, f]) => flagLabel(n, f));
  const width = Math.max(...labels.map((l) => l.length));
  lines.push('', 'Options:', ...all.map(([, f], i) => `  ${labels[i]!.padEnd(width)}  ${f.help}`), '', EXIT_CODES);
  return `${lines.join('\n')}\n`;
}

function checkNumber(name: string, raw: string, f: Extract<Flag, { type: 'int' | 'number' | 'port' }>): number {
  const n = Number(raw);
  const whole = f.type !== 'number';
  const min = f.type === 'port' ? 0 : f.min;
  const max = f.type === 'port' ? 65535 : f.max;
  const ok = raw.trim() !== '' && Number.isFinite(n) && (!whole || Number.isInteger(n)) && (min === undefined || n >= min) && (max === undefined || n <= max);
  if (!ok) {
    const what = f.type === 'port' ? 'a TCP port from 0 (any free port) to 65535' : `${whole ? 'a whole number' : 'a number'}${min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` of at least ${min}` : max !== undefined ? ` of at most ${max}` : ''}`;
    usageError(`pinpipe: --${name} ${raw} is not valid (USAGE); expected ${what}.`);
  }
  return n;
}

/** parseArgs options for a command's flags and the common ones. */
export function parseArgsOptions(c: Command): NonNullable<ParseArgsConfig['options']> {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, f] of Object.entries({ ...(COMMON_FLAGS as Flags), ...c.flags })) {
    options[name] = f.type === 'boolean' ? { type: 'boolean' } : { type: 'string', ...(f.type === 'string' && f.multiple ? { multiple: true } : {}) };
  }
  return options;
}

/** The values parseArgs gave, typed and checked against the command's flags. */
export function typedFlags<F extends Flags>(flags: F, values: Record<string, unknown>): Parsed<F> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(flags)) {
    const raw = values[name];
    if (raw === undefined) continue;
    if (f.type === 'boolean') out[name] = raw === true;
    else if (f.type === 'string') out[name] = raw;
    else if (f.type === 'enum') {
      if (!f.values.includes(raw as string)) usageError(`pinpipe: --${name} ${String(raw)} is not valid (USAGE); expected ${f.values.join(', ')}.`);
      out[name] = raw;
    } else out[name] = checkNumber(name, raw as string, f);
  }
  return out as Parsed<F>;
}

/** The configuration a command works with: --config, --lake and --target over the file and the environment. */
export function configLoader(values: Record<string, unknown>, env: NodeJS.ProcessEnv): () => Config {
  let cached: Config | null = null;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return () => (cached ??= loadConfig({ configFile: str(values['config']), lake: str(values['lake']), target: str(values['target']), env }));
}

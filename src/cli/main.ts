// The pinpipe command line: parses arguments, loads the configuration, runs a command, and maps errors
// to messages and exit codes (0 success, 1 failure, 2 usage or configuration). Data goes to stdout,
// progress and logs to stderr.
import { parseArgs } from 'node:util';
import { PinpipeError, exitCodeFor } from '../errors.ts';
import { COMMANDS, usage } from './commands.ts';

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage());
    return command ? 0 : 2;
  }
  const spec = COMMANDS[command];
  if (!spec) {
    process.stderr.write(`pinpipe: unknown command "${command}".\n\n${usage()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: {
        config: { type: 'string' },
        lake: { type: 'string' },
        target: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...spec.options,
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      process.stdout.write(`${spec.help}\n`);
      return 0;
    }
    return (await spec.run(values as Record<string, unknown>, positionals)) ?? 0;
  } catch (error) {
    if (error instanceof PinpipeError) {
      process.stderr.write(`${error.message}\n`);
      return exitCodeFor(error.code);
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`pinpipe ${command}: ${error.message}\n\n${spec.help}\n`);
      return 2;
    }
    process.stderr.write(`pinpipe ${command}: unexpected failure: ${error instanceof Error ? error.stack : String(error)}\n`);
    return 1;
  }
}

// `pinpipe query <name|all>`: the nine queries on the cleaned tables, on the target (local Spark or a SQL
// warehouse), as a table, JSON, CSV or Arrow IPC files.
import path from 'node:path';
import { PinpipeError } from '../../errors.ts';
import { isQueryName, QUERY_NAMES } from '../../notebook/index.ts';
import { command, usageError } from '../command.ts';
import { printResults } from '../print.ts';
import { runQueries } from '../queries.ts';
import { withInterrupt } from '../signals.ts';

export default command({
  name: 'query',
  usage: ['query <name|all> [--target T] [--format table|json|csv|arrow] [--out FILE|DIR]'],
  about: [
    'Runs one of the nine queries on the cleaned tables: locally on the local Spark, on a Databricks target on',
    `its SQL warehouse (@databricks/sql). arrow writes Arrow IPC files. Queries: ${QUERY_NAMES.join(', ')}.`,
  ],
  flags: {
    format: { type: 'enum', values: ['table', 'json', 'csv', 'arrow'], help: 'output format (default table)' },
    out: { type: 'string', value: 'FILE|DIR', help: 'write to this file (a folder for --format arrow with all)' },
  },
  run: async ({ flags, args: [name], config, log, out }) => {
    const format = flags.format ?? 'table';
    if (!name || (name !== 'all' && !isQueryName(name))) {
      throw new PinpipeError('QUERY_UNKNOWN', `pinpipe query: ${name ? `"${name}" is not a query` : 'name a query'} (QUERY_UNKNOWN); expected all or one of: ${QUERY_NAMES.join(', ')}.`);
    }
    if (format === 'arrow' && !flags.out) usageError('pinpipe query: --format arrow writes a file; give --out FILE (or --out DIR for all) (USAGE).');
    const results = await withInterrupt((signal) => runQueries(config(), name === 'all' ? [...QUERY_NAMES] : [name], log, signal));
    printResults(log, out, results, format, flags.out ? path.resolve(flags.out) : undefined);
  },
});

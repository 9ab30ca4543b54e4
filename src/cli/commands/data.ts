// `pinpipe data generate|land`: generated rows with the distributions of spec/data.md, and landings of a
// data folder in the S3 connector's layout (original or shuffled order, duplicates, malformed lines).
import path from 'node:path';
import { generateData } from '../../emulator/generator.ts';
import { landFromDir } from '../../emulator/land.ts';
import { command, usageError } from '../command.ts';

export default command({
  name: 'data',
  usage: [
    'data generate --rows N --seed S --out DIR',
    'data land --from DIR [--order original|shuffled] [--duplicates R] [--malformed R] [--seed S] [--flush-size N]',
  ],
  about: [
    'generate: writes the three tables (pinterest_data.jsonl, geolocation_data.csv, user_data.csv) with the distributions of spec/data.md.',
    'land: lands the rows of DIR into the lake (topics/<topic>/partition=0/...), replacing what the topics held.',
  ],
  flags: {
    rows: { type: 'int', min: 1, help: 'rows a table to generate (default 11154)' },
    seed: { type: 'string', value: 'S', help: 'the random seed (default 100)' },
    out: { type: 'string', value: 'DIR', help: 'where generate writes the tables' },
    from: { type: 'string', value: 'DIR', help: 'the data folder land reads' },
    order: { type: 'enum', values: ['original', 'shuffled'], help: 'landing order (default original)' },
    duplicates: { type: 'number', min: 0, max: 10, help: 'extra copies as a fraction of the rows (default 0)' },
    malformed: { type: 'number', min: 0, max: 1, help: 'malformed lines as a fraction of the rows (default 0)' },
    'flush-size': { type: 'int', min: 1, value: 'N', help: 'records a landed file (default 1000)' },
  },
  run: async ({ flags, args: [action], config, log, out }) => {
    if (action === 'generate') {
      const dir = flags.out ?? usageError('pinpipe data generate: --out DIR is required (USAGE).');
      await generateData({ rows: flags.rows ?? 11154, seed: flags.seed ?? '100', out: path.resolve(dir) }, log);
      return;
    }
    if (action !== 'land') usageError('pinpipe data: say generate or land (USAGE).');
    const from = path.resolve(flags.from ?? usageError('pinpipe data land: --from DIR is required (USAGE).'));
    const reports = await landFromDir(config(), {
      from,
      order: flags.order ?? 'original',
      duplicates: flags.duplicates ?? 0,
      malformed: flags.malformed ?? 0,
      seed: flags.seed ?? '100',
      flushSize: flags['flush-size'] ?? 1000,
    }, log);
    out(`${JSON.stringify(reports)}\n`);
  },
});

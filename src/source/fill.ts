// The real pin table has gaps (5,316 recovered rows for 11,154 keys in geolocation_data and user_data), and
// the original posting scripts read `LIMIT <offset>, 1` at the same offset in the three tables: offset k
// must hold the same key everywhere. So a load fills each key that the geo table has and the pin table lacks
// with a generated row of the real profile (src/emulator/generator.ts; its category that of the real row
// before it, as categories come in contiguous key blocks), and lists the generated keys. Both inputs are
// read in key order and merged as streams, so a large generated table is never held in memory.
import { newPosters, pinRow, type Poster } from '../emulator/generator.ts';
import { Random } from '../emulator/random.ts';
import { readSourceTable, type SourceRecord } from './files.ts';
import { GENERATED_TABLE, SOURCE_TABLES, type SourceDb } from './db.ts';

export interface Filled {
  rows: AsyncIterable<SourceRecord>;
  /** The keys of generated rows, known once rows has been read through. */
  generated: number[];
}

export function fillPinGaps(pins: AsyncIterable<SourceRecord>, geoKeys: AsyncIterable<number>, seed = 'fill'): Filled {
  const generated: number[] = [];
  async function* merge(): AsyncGenerator<SourceRecord> {
    const random = new Random(seed);
    const state: { posters: Poster[]; poster: Poster } = { posters: newPosters(random), poster: { name: '', followers: '' } };
    state.poster = random.pick(state.posters);
    const it = pins[Symbol.asyncIterator]();
    let next = await it.next();
    let category = '';
    const key = (r: SourceRecord) => Number(r['index']);
    for await (const g of geoKeys) {
      while (!next.done && key(next.value) < g) {
        category = String(next.value['category'] ?? category);
        yield next.value;
        next = await it.next();
      }
      if (!next.done && key(next.value) === g) {
        category = String(next.value['category'] ?? category);
        yield next.value;
        next = await it.next();
        continue;
      }
      generated.push(g);
      yield pinRow(random, g, category || String(next.done ? 'art' : next.value['category'] ?? 'art'), state);
    }
    while (!next.done) {
      yield next.value;
      next = await it.next();
    }
  }
  return { rows: merge(), generated };
}

async function* keysOf(rows: AsyncIterable<SourceRecord>): AsyncGenerator<number> {
  for await (const r of rows) yield Number(r['ind']);
}

/** Loads the three tables from a data folder, the pin table with its gaps filled; says what it did. */
export async function loadSource(db: SourceDb, from: string, log: (line: string) => void): Promise<{ generated: number[] }> {
  let generated: number[] = [];
  for (const t of ['pin', 'geo', 'user'] as const) {
    if (t !== 'pin') {
      const n = await db.load(t, readSourceTable(from, t));
      log(`source: loaded ${n} rows into ${SOURCE_TABLES[t].name} (${db.describe()})`);
      continue;
    }
    const filled = fillPinGaps(readSourceTable(from, 'pin'), keysOf(readSourceTable(from, 'geo')));
    const n = await db.load('pin', filled.rows);
    await db.markGenerated('pin', filled.generated);
    generated = filled.generated;
    log(`source: loaded ${n} rows into ${SOURCE_TABLES.pin.name} (${db.describe()})${generated.length ? `: ${n - generated.length} from ${from} and ${generated.length} generated where its keys had gaps (listed in ${GENERATED_TABLE})` : ''}`);
  }
  return { generated };
}

// `pinpipe data generate`: writes the three source tables with the distributions of spec/data.md,
// deterministic for a seed and streamed (one row at a time, with backpressure), so 10M rows a table
// runs in bounded memory.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { csvField, SOURCE_FILES } from '../source/files.ts';
import { CATEGORIES, COUNTRIES, FIRST_NAMES, LAST_NAMES, POSTER_NAMES, TITLE_WORDS } from './pools.ts';
import { Random } from './random.ts';

export interface GenerateOptions {
  rows: number;
  seed: string;
  out: string;
}

/** Rows per year of the geo timestamps in the real table (spec/data.md). */
const YEAR_WEIGHTS: [number, number][] = [[2017, 432], [2018, 2316], [2019, 2192], [2020, 2172], [2021, 2208], [2022, 1834]];
const YEAR_TOTAL = YEAR_WEIGHTS.reduce((s, [, w]) => s + w, 0);
const TAG_NOT_AVAILABLE = 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function datetime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function hex(random: Random, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[random.int(0, 15)];
  return s;
}

function uuid4(random: Random): string {
  const h = hex(random, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[random.int(0, 3)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A follower count as the source writes it: digits (~18%), <n>k (~73%) or <n>M (~8%). */
function followerText(random: Random): string {
  const u = random.next();
  if (u < 0.19) return String(random.int(0, 998));
  if (u < 0.92) return `${random.int(1, 991)}k`;
  return `${random.int(1, 15)}M`;
}

export interface Poster {
  name: string;
  followers: string;
}

function words(random: Random, min: number, max: number): string {
  const n = random.int(min, max);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(random.pick(TITLE_WORDS));
  return out.join(' ');
}

/**
 * A pin row with the source table's profile (spec/data.md): story posts, placeholders, posters who keep one
 * name and follower count (state.poster changes now and then), the category given.
 */
/** The posters of the pool, each with one follower count for all their posts. */
export function newPosters(random: Random): Poster[] {
  return POSTER_NAMES.map((name) => ({ name, followers: followerText(random) }));
}

export function pinRow(random: Random, index: number, category: string, state: { posters: Poster[]; poster: Poster }): Record<string, string | number> {
  const story = random.chance(0.077);
  const userError = story && random.chance(0.007 / 0.077);
  if (random.chance(0.35)) state.poster = random.pick(state.posters);
  const description = story
    ? 'No description available Story format'
    : random.chance(0.015) ? 'No description available' : random.chance(0.002) ? 'Untitled' : `${words(random, 8, 30)}… `;
  const row = {
    index,
    unique_id: uuid4(random),
    title: userError ? 'No Title Data Available' : random.chance(0.0005) ? '' : words(random, 2, 9),
    description,
    poster_name: userError ? 'User Info Error' : state.poster.name,
    follower_count: userError ? 'User Info Error' : state.poster.followers,
    tag_list: story && random.chance(0.014 / 0.077) ? TAG_NOT_AVAILABLE : Array.from({ length: 9 }, () => words(random, 1, 3)).join(','),
    is_image_or_video: story ? 'multi-video(story page format)' : random.chance(0.029 / 0.923) ? 'video' : 'image',
    image_src: story && random.chance(0.025 / 0.077)
      ? 'Image src error.'
      : `https://i.pinimg.com/originals/${hex(random, 2)}/${hex(random, 2)}/${hex(random, 2)}/${hex(random, 32)}.${random.pick(['jpg', 'jpg', 'jpg', 'png', 'webp', 'gif'])}`,
    downloaded: story ? 0 : 1,
    save_location: `Local save in /data/${category}`,
    category,
  };
  return row;
}

async function write(stream: WriteStream, line: string): Promise<void> {
  if (!stream.write(line)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
}

async function close(stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

export async function generateData(options: GenerateOptions, progress: (l: string) => void = () => {}): Promise<void> {
  mkdirSync(options.out, { recursive: true });
  const pin = createWriteStream(path.join(options.out, SOURCE_FILES.pin));
  const geo = createWriteStream(path.join(options.out, SOURCE_FILES.geo));
  const user = createWriteStream(path.join(options.out, SOURCE_FILES.user));
  await write(geo, 'ind,timestamp,latitude,longitude,country\n');
  await write(user, 'ind,first_name,last_name,age,date_joined\n');
  const random = new Random(options.seed);
  // Posters keep one name and one follower count across their posts.
  const posters = newPosters(random);
  const joinStart = Date.UTC(2015, 9, 21);
  const joinEnd = Date.UTC(2017, 9, 20, 23, 59, 59);
  let person = { first: '', last: '', age: 0, joined: '' };
  const state = { posters, poster: random.pick(posters) };
  const started = Date.now();
  for (let n = 0; n < options.rows; n++) {
    // Categories come in contiguous index blocks, in alphabetical order, as in the source table.
    const category = CATEGORIES[Math.min(CATEGORIES.length - 1, Math.floor((n * CATEGORIES.length) / options.rows))]!;
    const row = pinRow(random, n, category, state);
    await write(pin, `${JSON.stringify(row)}\n`);

    let w = random.next() * YEAR_TOTAL;
    const year = YEAR_WEIGHTS.find(([, weight]) => (w -= weight) < 0)?.[0] ?? 2022;
    const yearStart = Math.max(Date.UTC(year, 0, 1), Date.UTC(2017, 9, 19));
    const yearEnd = Math.min(Date.UTC(year + 1, 0, 1) - 1000, Date.UTC(2022, 9, 19, 23, 59, 59));
    const timestamp = datetime(yearStart + Math.floor(random.next() * (yearEnd - yearStart)));
    // Latitudes skew south (median about -62): -90 + 180 u^2.68 has its median at -62.
    const latitude = Math.round((-90 + 179.99 * random.next() ** 2.68) * 1e4) / 1e4;
    const longitude = Math.round((-179.9 + 359.8 * random.next()) * 1e4) / 1e4;
    await write(geo, `${n},${timestamp},${latitude},${longitude},${csvField(random.pick(COUNTRIES))}\n`);

    // One row per post: consecutive rows often repeat one person (about 5,307 people in 11,154 rows).
    if (n === 0 || !random.chance(0.524)) {
      person = {
        first: random.pick(FIRST_NAMES),
        last: random.pick(LAST_NAMES),
        age: random.int(20, 60),
        joined: datetime(joinStart + Math.floor(random.next() * (joinEnd - joinStart))),
      };
    }
    await write(user, `${n},${csvField(person.first)},${csvField(person.last)},${person.age},${person.joined}\n`);
    if ((n + 1) % 1_000_000 === 0) progress(`generate: ${n + 1} rows (${((n + 1) / ((Date.now() - started) / 1000)).toFixed(0)} rows/s)`);
  }
  await Promise.all([close(pin), close(geo), close(user)]);
  progress(`generate: ${options.rows} rows a table in ${options.out} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
}

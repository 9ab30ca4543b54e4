// An independent implementation of spec/transform.md in plain TypeScript, written from the spec and not
// from the SQL: the oracle that the notebooks' results on local Spark are compared with.

export type Row = Record<string, unknown>;
export interface Cleaned {
  rows: Row[];
  rejected: { line: string; reason: string }[];
  rowsIn: number;
}

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;

/** Spark's text for a JSON value read into a STRING field. */
function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Integer rule of the spec: digits, optionally a zero fraction, within INT. */
function toInt(t: string | null): number | null {
  if (t === null) return null;
  const m = /^(-?[0-9]+)([.]0+)?$/.exec(t);
  if (!m) return null;
  const n = Number(m[1]);
  return n >= INT_MIN && n <= INT_MAX ? n : null;
}

/** A JSON number (a number, or text written as one): standard JSON only, so no NaN, `1.5d`, `+1` or spaces. */
function toDouble(t: string | null): number | null {
  if (t === null) return null;
  return /^-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][+-]?[0-9]+)?$/.test(t) ? Number(t) : null;
}

/** [latitude, longitude] when both are JSON numbers; otherwise NULL (half a position is no position). */
function coordinates(lat: number | null, lon: number | null): number[] | null {
  return lat === null || lon === null ? null : [lat, lon];
}

export function followerCount(t: string | null): number | null {
  if (t === null) return null;
  const m = /^([0-9]+)(?:[.]([0-9]+))?([kKmM]?)$/.exec(t);
  if (!m) return null;
  const frac = m[2] ?? '';
  const mult = m[3]!.toLowerCase() === 'k' ? 1000n : m[3]!.toLowerCase() === 'm' ? 1000000n : 1n;
  const scaled = BigInt(m[1]! + frac) * mult; // value * 10^frac.length
  const unit = 10n ** BigInt(frac.length);
  const rounded = (scaled * 2n + unit) / (2n * unit); // half up, non-negative
  return rounded <= BigInt(INT_MAX) ? Number(rounded) : null;
}

export function timestamp(t: string | null): string | null {
  if (t === null) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(t);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return back.toISOString();
}

const nullIf = (t: string | null, ...values: string[]) => (t === null || t === '' || values.includes(t) ? null : t);

/** Spark orders strings by their UTF-8 bytes. */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1; // NULLS LAST
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const c = compareValues(a[i], b[i]);
      if (c) return c;
    }
    return 0;
  }
  return Buffer.compare(Buffer.from(String(a)), Buffer.from(String(b)));
}

interface TableRules {
  key: string;
  clean: (r: Record<string, unknown>, ind: number) => Row;
}

const RULES: Record<'pin' | 'geo' | 'user', TableRules> = {
  pin: {
    key: 'index',
    clean: (r, ind) => {
      const s = (k: string) => text(r[k]);
      return {
        ind,
        unique_id: nullIf(s('unique_id')),
        title: nullIf(s('title'), 'No Title Data Available'),
        description: nullIf(s('description'), 'No description available Story format', 'No description available', 'Untitled'),
        follower_count: followerCount(s('follower_count')),
        poster_name: nullIf(s('poster_name'), 'User Info Error'),
        tag_list: nullIf(s('tag_list'), 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e'),
        is_image_or_video: nullIf(s('is_image_or_video')),
        image_src: nullIf(s('image_src'), 'Image src error.'),
        save_location: nullIf(s('save_location') === null ? null : s('save_location')!.replace(/^Local save in /, '')),
        category: nullIf(s('category')),
      };
    },
  },
  geo: {
    key: 'ind',
    clean: (r, ind) => ({
      ind,
      country: nullIf(text(r['country'])),
      coordinates: coordinates(toDouble(text(r['latitude'])), toDouble(text(r['longitude']))),
      timestamp: timestamp(text(r['timestamp'])),
    }),
  },
  user: {
    key: 'ind',
    clean: (r, ind) => {
      const first = nullIf(text(r['first_name']));
      const last = nullIf(text(r['last_name']));
      return {
        ind,
        user_name: first === null && last === null ? null : [first, last].filter((x) => x !== null).join(' '),
        age: toInt(text(r['age'])),
        date_joined: timestamp(text(r['date_joined'])),
      };
    },
  },
};

export function cleanLines(table: 'pin' | 'geo' | 'user', lines: string[]): Cleaned {
  const rules = RULES[table];
  const best = new Map<number, Row>();
  const rejected: { line: string; reason: string }[] = [];
  let rowsIn = 0;
  for (const line of lines) {
    if (line.replace(/^ +| +$/g, '') === '') continue;
    rowsIn++;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      obj = undefined;
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      rejected.push({ line, reason: 'not a JSON object' });
      continue;
    }
    const record = obj as Record<string, unknown>;
    const keyText = text(record[rules.key]);
    if (keyText === null) {
      rejected.push({ line, reason: `${rules.key} missing` });
      continue;
    }
    const ind = toInt(keyText);
    if (ind === null) {
      rejected.push({ line, reason: `${rules.key} not an integer` });
      continue;
    }
    const row = rules.clean(record, ind);
    const seen = best.get(ind);
    if (!seen || compareRows(row, seen) < 0) best.set(ind, row);
  }
  const rows = [...best.values()].sort((a, b) => (a['ind'] as number) - (b['ind'] as number));
  return { rows, rejected, rowsIn };
}

function compareRows(a: Row, b: Row): number {
  for (const k of Object.keys(a)) {
    if (k === 'ind') continue;
    const c = compareValues(a[k], b[k]);
    if (c) return c;
  }
  return 0;
}

// ---- the nine queries ----

const AGE_ORDER = ['18-24', '25-35', '36-50', '+50'];
export function ageGroup(age: unknown): string | null {
  if (typeof age !== 'number') return null;
  if (age >= 18 && age <= 24) return '18-24';
  if (age >= 25 && age <= 35) return '25-35';
  if (age >= 36 && age <= 50) return '36-50';
  return age > 50 ? '+50' : null;
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const pos = 0.5 * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo]! + (pos - lo) * (v[hi]! - v[lo]!);
}

function yearOf(ts: unknown): number | null {
  return typeof ts === 'string' ? Number(ts.slice(0, 4)) : null;
}

function join(left: Row[], right: Row[]): [Row, Row][] {
  const byInd = new Map(right.map((r) => [r['ind'], r]));
  const out: [Row, Row][] = [];
  for (const l of left) {
    const r = byInd.get(l['ind']);
    if (r) out.push([l, r]);
  }
  return out;
}

/** Per group, the (label, count) with the greatest count, ties to the smallest label. */
function topByCount(pairs: [string, string][]): Map<string, [string, number]> {
  const counts = new Map<string, Map<string, number>>();
  for (const [g, label] of pairs) {
    const m = counts.get(g) ?? new Map<string, number>();
    m.set(label, (m.get(label) ?? 0) + 1);
    counts.set(g, m);
  }
  const out = new Map<string, [string, number]>();
  for (const [g, m] of counts) {
    let best: [string, number] | null = null;
    for (const [label, n] of m) if (!best || n > best[1] || (n === best[1] && compareValues(label, best[0]) < 0)) best = [label, n];
    out.set(g, best!);
  }
  return out;
}

const byText = (a: string, b: string) => compareValues(a, b);
const byAge = (a: string, b: string) => AGE_ORDER.indexOf(a) - AGE_ORDER.indexOf(b);

export function runQueries(pin: Row[], geo: Row[], user: Row[]): Record<string, Row[]> {
  const pg = join(pin, geo);
  const pu = join(pin, user);
  const out: Record<string, Row[]> = {};

  const byCountry = topByCount(pg.filter(([p, g]) => g['country'] !== null && p['category'] !== null).map(([p, g]) => [g['country'] as string, p['category'] as string]));
  out['popular_category_by_country'] = [...byCountry.keys()].sort(byText).map((c) => ({ country: c, category: byCountry.get(c)![0], category_count: byCountry.get(c)![1] }));

  const byYear = topByCount(pg.filter(([p, g]) => { const y = yearOf(g['timestamp']); return y !== null && y >= 2018 && y <= 2022 && p['category'] !== null; })
    .map(([p, g]) => [String(yearOf(g['timestamp'])), p['category'] as string]));
  out['popular_category_by_year'] = [...byYear.keys()].sort().map((y) => ({ post_year: Number(y), category: byYear.get(y)![0], category_count: byYear.get(y)![1] }));

  const topUser = new Map<string, [string, number]>();
  for (const [p, g] of pg) {
    if (g['country'] === null || p['poster_name'] === null || p['follower_count'] === null) continue;
    const c = g['country'] as string;
    const cand: [string, number] = [p['poster_name'] as string, p['follower_count'] as number];
    const cur = topUser.get(c);
    if (!cur || cand[1] > cur[1] || (cand[1] === cur[1] && compareValues(cand[0], cur[0]) < 0)) topUser.set(c, cand);
  }
  out['top_user_by_country'] = [...topUser.keys()].sort(byText).map((c) => ({ country: c, poster_name: topUser.get(c)![0], follower_count: topUser.get(c)![1] }));

  const top = [...topUser.entries()].sort((a, b) => b[1][1] - a[1][1] || byText(a[0], b[0]))[0];
  out['top_country_by_user_followers'] = top ? [{ country: top[0], follower_count: top[1][1] }] : [];

  const byAge2 = topByCount(pu.filter(([p, u]) => ageGroup(u['age']) !== null && p['category'] !== null).map(([p, u]) => [ageGroup(u['age'])!, p['category'] as string]));
  out['popular_category_by_age_group'] = [...byAge2.keys()].sort(byAge).map((a) => ({ age_group: a, category: byAge2.get(a)![0], category_count: byAge2.get(a)![1] }));

  const groupMedian = <K extends string>(rows: [K, number][]) => {
    const m = new Map<K, number[]>();
    for (const [k, v] of rows) m.set(k, [...(m.get(k) ?? []), v]);
    return m;
  };
  const withFollowers = pu.filter(([p]) => p['follower_count'] !== null);
  const ageMed = groupMedian(withFollowers.filter(([, u]) => ageGroup(u['age']) !== null).map(([p, u]) => [ageGroup(u['age'])!, p['follower_count'] as number]));
  out['median_followers_by_age_group'] = [...ageMed.keys()].sort(byAge).map((a) => ({ age_group: a, median_follower_count: median(ageMed.get(a)!) }));

  const people = new Map<number, Set<string>>();
  for (const u of user) {
    const y = yearOf(u['date_joined']);
    if (y === null || y < 2015 || y > 2020 || u['user_name'] === null) continue;
    const s = people.get(y) ?? new Set<string>();
    s.add(`${u['user_name']}\u0000${u['date_joined']}`);
    people.set(y, s);
  }
  out['users_joined_by_year'] = [...people.keys()].sort((a, b) => a - b).map((y) => ({ post_year: y, number_users_joined: people.get(y)!.size }));

  const inYears = withFollowers.filter(([, u]) => { const y = yearOf(u['date_joined']); return y !== null && y >= 2015 && y <= 2020; });
  const joinMed = groupMedian(inYears.map(([p, u]) => [String(yearOf(u['date_joined'])), p['follower_count'] as number]));
  out['median_followers_by_join_year'] = [...joinMed.keys()].sort().map((y) => ({ post_year: Number(y), median_follower_count: median(joinMed.get(y)!) }));

  const bothMed = groupMedian(inYears.filter(([, u]) => ageGroup(u['age']) !== null).map(([p, u]) => [`${ageGroup(u['age'])}|${yearOf(u['date_joined'])}`, p['follower_count'] as number]));
  out['median_followers_by_age_group_and_join_year'] = [...bothMed.keys()]
    .map((k) => k.split('|') as [string, string])
    .sort((a, b) => byAge(a[0], b[0]) || Number(a[1]) - Number(b[1]))
    .map(([a, y]) => ({ age_group: a, post_year: Number(y), median_follower_count: median(bothMed.get(`${a}|${y}`)!) }));
  return out;
}

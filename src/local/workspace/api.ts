// What the route modules of the local workspace share: Databricks' error (an HTTP status, an error_code and
// a message, as {"error_code", "message"}), field checks that answer as Databricks does, list pagination, and
// the context a route works in.
import type { RunExecutor } from './runner.ts';
import type { WorkspaceStore } from './store.ts';
import type { MissedTriggers, ScheduleView } from './scheduler.ts';
import { invalid } from './failure.ts';
import { checkPath } from './limits.ts';
import { normalizePath } from './paths.ts';

export { ApiFailure, invalid, notFound } from './failure.ts';

export const LOCAL_USER = 'local-user@pinpipe.local';

export type Body = Record<string, unknown>;

/** What a SQL client needs to reach the local warehouse. */
export interface WarehouseEndpoint {
  serverHostname: string;
  port: number;
  httpPath: string;
  warehouseId: string;
  caFile: string;
}

/** An answer sent as bytes (a file's content), not as JSON. */
export class RawAnswer {
  constructor(readonly bytes: Buffer, readonly contentType = 'application/octet-stream') {}
}
/** A route: the JSON body (empty for GET), the query string and the path parameters; returns the JSON answer. */
export type Handler = (body: Body, query: URLSearchParams, params: Record<string, string>) => unknown;
/** Routes of one API area, by `METHOD /path` (fastify's path syntax for parameters). */
export type Routes = Record<string, Handler>;

export interface RouteContext {
  store: WorkspaceStore;
  executor: RunExecutor;
  /** The server's base URL (run page URLs), known once it listens. */
  baseUrl(): string;
  /** The SQL warehouse served beside the API, once it listens (null when none). */
  warehouse(): WarehouseEndpoint | null;
  log(line: string): void;
  /** The schedules and the triggers missed while stopped (the daemon's scheduler), for /pinpipe/schedules. */
  schedules?: () => { schedules: ScheduleView[]; missed: MissedTriggers[] };
}

export function str(v: unknown, name: string, required = true): string {
  if (typeof v === 'string' && v.length) return v;
  if (!required && v === undefined) return '';
  throw invalid(`Missing required field: ${name}`);
}

export function int(v: unknown, name: string): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n)) return n;
  throw invalid(`Invalid value for ${name}: ${JSON.stringify(v)} is not an integer`);
}

/**
 * An optional integer field that clients may send as a string: Airflow's Databricks provider stringifies every
 * number (normalise_json_content sends timeout_seconds: "3600"). Anything else is refused, naming the field.
 */
export function intField(v: unknown, name: string, min = 0): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^-?\d{1,15}$/.test(v) ? Number(v) : v;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= min) return n;
  throw invalid(`Invalid value for field ${name}: ${JSON.stringify(v)}; must be an integer of at least ${min}.`);
}

export function absolute(v: unknown, name = 'path'): string {
  const p = str(v, name);
  checkPath(p, name);
  if (!p.startsWith('/')) throw invalid(`Path (${p}) must be absolute`);
  return normalizePath(p);
}

/** A page of a list, with Databricks' has_more and next_page_token. */
export function listing<T>(items: T[], q: URLSearchParams, key: string, max: number, sizeParam = 'limit'): Record<string, unknown> {
  const limit = Math.min(Number(q.get(sizeParam) ?? 20) || 20, max);
  const offset = Number(q.get('page_token') ?? q.get('offset') ?? 0) || 0;
  const page = items.slice(offset, offset + limit);
  const more = offset + limit < items.length;
  return { ...(page.length ? { [key]: page } : {}), has_more: more, ...(more ? { next_page_token: String(offset + limit) } : {}) };
}

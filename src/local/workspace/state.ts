// The shapes of the local workspace's stored state (the snapshot document and the journal's changes), and
// how a journal line is read back: every value a change stores is frozen once it is in memory.
import type { jobs } from '@databricks/sdk-experimental';

export type ObjectType = 'DIRECTORY' | 'NOTEBOOK' | 'FILE' | 'DASHBOARD';
export type Language = 'SQL' | 'PYTHON' | 'SCALA' | 'R';

export interface WorkspaceObject {
  path: string;
  object_type: ObjectType;
  object_id: number;
  created_at: number;
  modified_at: number;
  language?: Language;
  size?: number;
  /** A dashboard's id (object_type DASHBOARD). */
  resource_id?: string;
}

export interface DashboardRecord {
  dashboard_id: string;
  display_name: string;
  parent_path: string;
  path: string;
  serialized_dashboard: string;
  warehouse_id?: string;
  create_time: string;
  update_time: string;
  etag: string;
  lifecycle_state: 'ACTIVE' | 'TRASHED';
  /** Set by publish (POST .../published). */
  published?: { display_name: string; embed_credentials: boolean; warehouse_id?: string; revision_create_time: string };
}

export interface JobRecord {
  job_id: number;
  created_time: number;
  creator_user_name: string;
  settings: jobs.JobSettings;
}

/** A run as stored: the Jobs API 2.2 Run it answers with, plus what the runner needs to resume reporting. */
export interface RunRecord {
  run: jobs.Run;
  /** Output of each task run (runs/get-output), by task run id. */
  outputs: Record<string, { result?: string; truncated?: boolean; error?: string; error_trace?: string }>;
  /** The idempotency_token of a runs/submit, which answers a later submit with the same token. */
  idempotency_token?: string;
  /**
   * A QUEUED run's execution as it was triggered (the job's tasks, the resolved parameters, the job's timeout),
   * stored so the run can start after a restart; removed when it leaves the queue.
   */
  queued?: { tasks: jobs.Task[]; params: Record<string, string>; timeout_seconds: number };
}

export interface StateDocument {
  version: 1;
  next_id: number;
  objects: Record<string, WorkspaceObject>;
  jobs: Record<string, JobRecord>;
  runs: Record<string, RunRecord>;
  dashboards?: Record<string, DashboardRecord>;
  /** The file under objects/ holding an object's content, by object id (absent: named by the id alone). */
  contents?: Record<string, string>;
}

export type Collection = 'objects' | 'jobs' | 'runs' | 'dashboards' | 'contents';
export const COLLECTIONS = new Set<string>(['objects', 'jobs', 'runs', 'dashboards', 'contents']);
export type Op = ['set', Collection, string, unknown] | ['del', Collection, string];
/** One journal line: the operations of a change and the id counter after it. */
export interface Change { n: number; ops: Op[] }

export interface StoreOptions {
  /** The journal is folded into the snapshot past max(compactMinBytes, compactRatio × snapshot bytes). */
  compactMinBytes?: number;
  compactRatio?: number;
  log?: (line: string) => void;
}

/** Freezes a parsed JSON value and everything in it (iteratively: no depth limit). */
export function freeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (v && typeof v === 'object' && !Object.isFrozen(v)) {
      Object.freeze(v);
      for (const x of Object.values(v)) stack.push(x);
    }
  }
  return value;
}

export function parseChange(line: string): Change {
  const c = JSON.parse(line) as Change;
  const ok = c && typeof c === 'object' && Number.isInteger(c.n) && Array.isArray(c.ops) && c.ops.every((op) =>
    Array.isArray(op) && COLLECTIONS.has(op[1]) && typeof op[2] === 'string' && ((op[0] === 'set' && op.length === 4) || (op[0] === 'del' && op.length === 3)));
  if (!ok) throw new Error('not a change');
  return c;
}


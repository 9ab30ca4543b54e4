// The local workspace's state on disk: workspace objects (folders, notebooks), jobs, runs and dashboards.
// A snapshot (state.json, replaced atomically) and a journal (state.journal, one JSON line a change, fsynced)
// replayed over it on open, so a change writes what changed, not the whole state. The journal is folded into
// a new snapshot when it grows past twice the snapshot (and 1 MiB); it is emptied only once that snapshot is
// durable, and replaying it over the newer snapshot changes nothing (every operation sets or deletes a whole
// value). A change reaches memory only after its line is durable, as the values parsed back from that line,
// frozen: memory is always what the disk says, and a failed write changes neither. Callers get those frozen
// values and build new ones to change anything. Notebook sources are files under objects/, each version a
// new name written before the change that names it; files no change names are removed on open.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { jobs } from '@databricks/sdk-experimental';
import { Journal, replaceFile, writeNewFile } from './journal.ts';
import { COLLECTIONS, freeze, parseChange, type Change, type Collection, type DashboardRecord, type JobRecord, type Op, type RunRecord, type StateDocument, type StoreOptions, type WorkspaceObject } from './state.ts';

export type { DashboardRecord, JobRecord, Language, ObjectType, RunRecord, StateDocument, StoreOptions, WorkspaceObject } from './state.ts';

/** The operations of one change, applied together or not at all (WorkspaceStore.transaction). */
export class StoreTx {
  readonly ops: Op[] = [];
  readonly files: { name: string; data: Buffer }[] = [];
  readonly removals: string[] = [];
  private readonly store: WorkspaceStore;

  constructor(store: WorkspaceStore) {
    this.store = store;
  }

  putObject(o: WorkspaceObject, content?: Buffer): void {
    if (content) {
      const name = `${o.object_id}.${this.store.nextId()}`;
      this.files.push({ name, data: content });
      const old = this.store.object(o.path);
      if (old && old.object_id === o.object_id) this.removals.push(this.store.contentName(old));
      this.ops.push(['set', 'contents', String(o.object_id), name]);
    }
    this.ops.push(['set', 'objects', o.path, o]);
  }

  deleteObject(o: WorkspaceObject): void {
    this.ops.push(['del', 'objects', o.path]);
    if (o.object_type !== 'DIRECTORY' && o.object_type !== 'DASHBOARD') {
      this.removals.push(this.store.contentName(o));
      this.ops.push(['del', 'contents', String(o.object_id)]);
    }
  }

  putJob(j: JobRecord): void {
    this.ops.push(['set', 'jobs', String(j.job_id), j]);
  }

  deleteJob(id: number): void {
    this.ops.push(['del', 'jobs', String(id)]);
  }

  putDashboard(d: DashboardRecord): void {
    this.ops.push(['set', 'dashboards', d.dashboard_id, d]);
  }

  putRun(r: RunRecord): void {
    this.ops.push(['set', 'runs', String(r.run.run_id), r]);
  }

  deleteRun(id: number): void {
    this.ops.push(['del', 'runs', String(id)]);
  }
}

export class WorkspaceStore {
  readonly dir: string;
  private readonly doc: StateDocument;
  private readonly journal: Journal;
  private readonly log: (line: string) => void;
  private readonly compactRatio: number;
  private compactMin: number;
  private snapshotBytes: number;
  /** Ids handed out: at least the stored counter (ids of a change that failed are not handed out again). */
  private allocated: number;

  constructor(dir: string, options: StoreOptions = {}) {
    this.dir = dir;
    this.log = options.log ?? (() => {});
    this.compactMin = options.compactMinBytes ?? 1024 * 1024;
    this.compactRatio = options.compactRatio ?? 2;
    mkdirSync(path.join(dir, 'objects'), { recursive: true });
    const file = this.snapshotFile();
    if (existsSync(file)) {
      this.doc = JSON.parse(readFileSync(file, 'utf8')) as StateDocument;
      this.snapshotBytes = statSync(file).size;
    } else {
      const now = Date.now();
      this.doc = { version: 1, next_id: 1000, objects: { '/': { path: '/', object_type: 'DIRECTORY', object_id: 0, created_at: now, modified_at: now } }, jobs: {}, runs: {}, dashboards: {}, contents: {} };
      const text = JSON.stringify(this.doc);
      replaceFile(file, text);
      this.snapshotBytes = Buffer.byteLength(text);
    }
    this.doc.dashboards ??= {};
    this.doc.contents ??= {};
    for (const c of COLLECTIONS) for (const v of Object.values(this.doc[c as Collection]!)) freeze(v);
    this.journal = new Journal(path.join(dir, 'state.journal'), (line) => this.apply(parseChange(line)));
    this.allocated = this.doc.next_id;
    this.sweep();
    this.maybeCompact();
  }

  /**
   * Applies a change built by `build` as one journal line: durable before it reaches memory, and on any
   * failure (a value JSON cannot write, a failed write or fsync) nothing changes, in memory or on disk.
   */
  transaction(build: (tx: StoreTx) => void): void {
    const tx = new StoreTx(this);
    build(tx);
    if (!tx.ops.length) return;
    const line = `${JSON.stringify({ n: this.allocated, ops: tx.ops } satisfies Change)}\n`;
    try {
      for (const f of tx.files) writeNewFile(this.contentFile(f.name), f.data);
      this.journal.append(line);
    } catch (e) {
      for (const f of tx.files) rmSync(this.contentFile(f.name), { force: true });
      throw e;
    }
    this.apply(JSON.parse(line) as Change);
    for (const name of tx.removals) {
      try {
        rmSync(this.contentFile(name), { force: true });
      } catch { /* removed on the next open */ }
    }
    this.maybeCompact();
  }

  /** A copy of the whole state, as it is in memory (and on disk). */
  document(): StateDocument {
    return JSON.parse(JSON.stringify(this.doc)) as StateDocument;
  }

  close(): void {
    this.journal.close();
  }

  nextId(): number {
    return this.allocated++;
  }

  // ---- workspace objects

  object(p: string): WorkspaceObject | undefined {
    return this.doc.objects[p];
  }

  children(dir: string): WorkspaceObject[] {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    return Object.values(this.doc.objects)
      .filter((o) => o.path !== dir && o.path.startsWith(prefix) && !o.path.slice(prefix.length).includes('/'))
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  putObject(o: WorkspaceObject, content?: Buffer): void {
    this.transaction((t) => t.putObject(o, content));
  }

  /** The name of the file under objects/ holding an object's content. */
  contentName(o: WorkspaceObject): string {
    return this.doc.contents![String(o.object_id)] ?? String(o.object_id);
  }

  content(o: WorkspaceObject): Buffer {
    return readFileSync(this.contentFile(this.contentName(o)));
  }

  deleteTree(p: string): void {
    this.transaction((t) => {
      for (const o of Object.values(this.doc.objects)) if (o.path === p || o.path.startsWith(`${p}/`)) t.deleteObject(o);
    });
  }

  // ---- jobs

  job(id: number): JobRecord | undefined {
    return this.doc.jobs[String(id)];
  }

  allJobs(): JobRecord[] {
    return Object.values(this.doc.jobs).sort((a, b) => a.job_id - b.job_id);
  }

  putJob(j: JobRecord): void {
    this.transaction((t) => t.putJob(j));
  }

  deleteJob(id: number): void {
    this.transaction((t) => t.deleteJob(id));
  }

  // ---- dashboards

  dashboard(id: string): DashboardRecord | undefined {
    return this.doc.dashboards![id];
  }

  allDashboards(): DashboardRecord[] {
    return Object.values(this.doc.dashboards!).sort((a, b) => a.create_time.localeCompare(b.create_time) || a.dashboard_id.localeCompare(b.dashboard_id));
  }

  putDashboard(d: DashboardRecord): void {
    this.transaction((t) => t.putDashboard(d));
  }

  // ---- runs

  run(id: number): RunRecord | undefined {
    return this.doc.runs[String(id)];
  }

  /** The run that holds a task run of this id, with the task. */
  taskRun(id: number): { record: RunRecord; task: jobs.RunTask } | undefined {
    for (const record of Object.values(this.doc.runs)) {
      const task = record.run.tasks?.find((t) => t.run_id === id);
      if (task) return { record, task };
    }
    return undefined;
  }

  allRuns(): RunRecord[] {
    return Object.values(this.doc.runs).sort((a, b) => (b.run.run_id ?? 0) - (a.run.run_id ?? 0));
  }

  putRun(r: RunRecord): void {
    this.transaction((t) => t.putRun(r));
  }

  deleteRun(id: number): void {
    this.transaction((t) => t.deleteRun(id));
  }

  // ---- files

  private snapshotFile(): string {
    return path.join(this.dir, 'state.json');
  }

  private contentFile(name: string): string {
    return path.join(this.dir, 'objects', name);
  }

  private apply(change: Change): void {
    for (const op of change.ops) {
      const col = this.doc[op[1]] as Record<string, unknown>;
      if (op[0] === 'set') col[op[2]] = freeze(op[3]);
      else delete col[op[2]];
    }
    this.doc.next_id = Math.max(this.doc.next_id, change.n);
    this.allocated = Math.max(this.allocated ?? 0, this.doc.next_id);
  }

  /** Removes content files no object names (left by a change that failed or by a kill between steps). */
  private sweep(): void {
    const named = new Set<string>();
    for (const o of Object.values(this.doc.objects)) if (o.object_type !== 'DIRECTORY' && o.object_type !== 'DASHBOARD') named.add(this.contentName(o));
    try {
      for (const name of readdirSync(path.join(this.dir, 'objects'))) if (!named.has(name)) rmSync(this.contentFile(name), { force: true });
    } catch (e) {
      this.log(`workspace: could not remove stale content files: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Folds the journal into a new snapshot once it has grown past its bound; a failure is retried later. */
  private maybeCompact(): void {
    if (this.journal.size <= Math.max(this.compactMin, this.compactRatio * this.snapshotBytes)) return;
    try {
      const text = JSON.stringify(this.doc);
      replaceFile(this.snapshotFile(), text);
      this.snapshotBytes = Buffer.byteLength(text);
      this.journal.clear();
    } catch (e) {
      this.compactMin = this.journal.size * 2;
      this.log(`workspace: could not write the state snapshot (the journal keeps every change): ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

// The local workspace's state on disk: workspace objects (folders, notebooks), jobs and runs, kept as one
// JSON document written atomically (temp file + rename) after every change, with notebook sources beside
// it. Small by nature (tens of objects, hundreds of runs), so a whole-document write is simple and safe.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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
}

interface StateDocument {
  version: 1;
  next_id: number;
  objects: Record<string, WorkspaceObject>;
  jobs: Record<string, JobRecord>;
  runs: Record<string, RunRecord>;
  dashboards?: Record<string, DashboardRecord>;
}

export class WorkspaceStore {
  readonly dir: string;
  private doc: StateDocument;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(path.join(dir, 'objects'), { recursive: true });
    const file = path.join(dir, 'state.json');
    this.doc = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as StateDocument)
      : { version: 1, next_id: 1000, objects: { '/': { path: '/', object_type: 'DIRECTORY', object_id: 0, created_at: Date.now(), modified_at: Date.now() } }, jobs: {}, runs: {} };
  }

  save(): void {
    const file = path.join(this.dir, 'state.json');
    writeFileSync(`${file}.tmp`, JSON.stringify(this.doc));
    renameSync(`${file}.tmp`, file);
  }

  nextId(): number {
    return this.doc.next_id++;
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
    if (content) {
      const file = path.join(this.dir, 'objects', `${o.object_id}`);
      writeFileSync(`${file}.tmp`, content);
      renameSync(`${file}.tmp`, file);
    }
    this.doc.objects[o.path] = o;
    this.save();
  }

  content(o: WorkspaceObject): Buffer {
    return readFileSync(path.join(this.dir, 'objects', `${o.object_id}`));
  }

  deleteTree(p: string): void {
    for (const o of Object.values(this.doc.objects)) {
      if (o.path === p || o.path.startsWith(`${p}/`)) {
        delete this.doc.objects[o.path];
        if (o.object_type !== 'DIRECTORY') rmSync(path.join(this.dir, 'objects', `${o.object_id}`), { force: true });
      }
    }
    this.save();
  }

  // ---- jobs

  job(id: number): JobRecord | undefined {
    return this.doc.jobs[String(id)];
  }

  allJobs(): JobRecord[] {
    return Object.values(this.doc.jobs).sort((a, b) => a.job_id - b.job_id);
  }

  putJob(j: JobRecord): void {
    this.doc.jobs[String(j.job_id)] = j;
    this.save();
  }

  deleteJob(id: number): void {
    delete this.doc.jobs[String(id)];
    this.save();
  }

  // ---- dashboards

  dashboard(id: string): DashboardRecord | undefined {
    return this.doc.dashboards?.[id];
  }

  putDashboard(d: DashboardRecord): void {
    (this.doc.dashboards ??= {})[d.dashboard_id] = d;
    this.save();
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
    this.doc.runs[String(r.run.run_id)] = r;
    this.save();
  }
}

// The local workspace: an HTTP server speaking the part of the Databricks REST API pinpipe calls (Workspace
// 2.0, Jobs 2.2 and Lakeview dashboards), with Databricks' request and response shapes and its error format
// ({"error_code", "message"} and the HTTP status). Jobs run on the local Spark; state persists on disk.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { jobs } from '@databricks/sdk-experimental';
import type { SparkSettings } from '../config/index.ts';
import { RunExecutor } from './runner.ts';
import { WorkspaceStore, type DashboardRecord, type JobRecord, type Language, type RunRecord, type WorkspaceObject } from './store.ts';
import { normalizePath, parentPath } from './paths.ts';

/** Databricks refuses imports larger than 10 MB. */
const MAX_IMPORT_BYTES = 10 * 1024 * 1024;
const MAX_BODY_BYTES = 16 * 1024 * 1024;
export const LOCAL_USER = 'local-user@pinpipe.local';

export class ApiFailure extends Error {
  readonly status: number;
  readonly errorCode: string | number;
  constructor(status: number, errorCode: string | number, message: string) {
    super(message);
    this.status = status;
    this.errorCode = errorCode;
  }
}

const invalid = (message: string) => new ApiFailure(400, 'INVALID_PARAMETER_VALUE', message);
const notFound = (message: string) => new ApiFailure(404, 'RESOURCE_DOES_NOT_EXIST', message);

export interface WorkspaceServerOptions {
  /** Folder holding state.json and the notebook sources. */
  stateDir: string;
  lakeRoot: string;
  spark: SparkSettings;
  token: string;
  port?: number;
  host?: string;
  maxParallelTasks?: number;
  log?: (line: string) => void;
  shareSpark?: boolean;
}

export interface WorkspaceServer {
  url: string;
  port: number;
  store: WorkspaceStore;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;
type Handler = (body: Body, query: URLSearchParams) => unknown;

function str(v: unknown, name: string, required = true): string {
  if (typeof v === 'string' && v.length) return v;
  if (!required && v === undefined) return '';
  throw invalid(`Missing required field: ${name}`);
}

function int(v: unknown, name: string): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n)) return n;
  throw invalid(`Invalid value for ${name}: ${JSON.stringify(v)} is not an integer`);
}

function absolute(v: unknown, name = 'path'): string {
  const p = str(v, name);
  if (!p.startsWith('/')) throw invalid(`Path (${p}) must be absolute`);
  return normalizePath(p);
}

export function generateToken(): string {
  return `dapi${randomBytes(16).toString('hex')}`;
}

export async function startWorkspaceServer(options: WorkspaceServerOptions): Promise<WorkspaceServer> {
  const log = options.log ?? (() => {});
  const store = new WorkspaceStore(options.stateDir);
  let baseUrl = '';
  const executor = new RunExecutor(store, {
    lakeRoot: options.lakeRoot,
    spark: options.spark,
    maxParallel: options.maxParallelTasks ?? 3,
    baseUrl: () => baseUrl,
    log,
    shareSpark: options.shareSpark ?? false,
  });
  // Runs left RUNNING by a server that stopped cannot be resumed: they end as failed, with the reason.
  for (const r of store.allRuns()) {
    if (r.run.state?.life_cycle_state !== 'TERMINATED' && r.run.state?.life_cycle_state !== 'SKIPPED') {
      r.run.state = { life_cycle_state: 'INTERNAL_ERROR', result_state: 'FAILED', state_message: 'The local workspace stopped while the run was active.' };
      r.run.status = { state: 'TERMINATED', termination_details: { code: 'INTERNAL_ERROR', type: 'INTERNAL_ERROR', message: 'The local workspace stopped while the run was active.' } };
      r.run.end_time ??= Date.now();
      store.putRun(r);
    }
  }

  // ---- Workspace API 2.0

  function mkdirs(p: string): void {
    const parts = p.split('/').filter(Boolean);
    let cur = '';
    for (const part of parts) {
      cur += `/${part}`;
      const o = store.object(cur);
      if (o && o.object_type !== 'DIRECTORY') throw new ApiFailure(400, 'RESOURCE_ALREADY_EXISTS', `Cannot create directory ${p} because ${cur} is an existing file.`);
      if (!o) store.putObject({ path: cur, object_type: 'DIRECTORY', object_id: store.nextId(), created_at: Date.now(), modified_at: Date.now() });
    }
  }

  function mustExist(p: string): WorkspaceObject {
    const o = store.object(p);
    if (!o) throw notFound(`Path (${p}) doesn't exist.`);
    return o;
  }

  const LANGUAGES = new Set(['SQL', 'PYTHON', 'SCALA', 'R']);
  const HEADERS: Record<string, Language> = {
    '-- Databricks notebook source': 'SQL',
    '# Databricks notebook source': 'PYTHON',
    '// Databricks notebook source': 'SCALA',
  };

  const workspace: Record<string, Handler> = {
    'POST /api/2.0/workspace/import': (b) => {
      const p = absolute(b['path']);
      const format = (b['format'] as string | undefined) ?? 'SOURCE';
      if (!['SOURCE', 'AUTO', 'RAW'].includes(format)) throw invalid(`Unsupported import format ${format} in the local workspace; use SOURCE, AUTO or RAW.`);
      const content = Buffer.from(str(b['content'], 'content'), 'base64');
      if (content.length > MAX_IMPORT_BYTES) throw new ApiFailure(400, 'MAX_NOTEBOOK_SIZE_EXCEEDED', `File size imported is (${content.length} bytes), exceeded max size (${MAX_IMPORT_BYTES} bytes)`);
      const parent = store.object(parentPath(p));
      if (!parent || parent.object_type !== 'DIRECTORY') throw notFound(`The parent folder (${parentPath(p)}) does not exist.`);
      const existing = store.object(p);
      if (existing && existing.object_type === 'DIRECTORY') throw new ApiFailure(400, 'RESOURCE_ALREADY_EXISTS', `${p} already exists as a directory.`);
      if (existing && b['overwrite'] !== true) throw new ApiFailure(400, 'RESOURCE_ALREADY_EXISTS', `${p} already exists.`);
      const firstLine = content.toString('utf8').split('\n', 1)[0]!.trim();
      let objectType: WorkspaceObject['object_type'] = 'FILE';
      let language: Language | undefined;
      if (format === 'SOURCE') {
        const l = b['language'];
        if (typeof l !== 'string' || !LANGUAGES.has(l)) throw invalid('The language must be set to one of SQL, PYTHON, SCALA or R for the SOURCE format.');
        objectType = 'NOTEBOOK';
        language = l as Language;
      } else if (format === 'AUTO' && HEADERS[firstLine]) {
        objectType = 'NOTEBOOK';
        language = HEADERS[firstLine];
      }
      const now = Date.now();
      const o: WorkspaceObject = {
        path: p,
        object_type: objectType,
        object_id: existing?.object_id ?? store.nextId(),
        created_at: existing?.created_at ?? now,
        modified_at: now,
        ...(language ? { language } : {}),
        ...(objectType === 'FILE' ? { size: content.length } : {}),
      };
      store.putObject(o, content);
      return {};
    },
    'GET /api/2.0/workspace/export': (_b, q) => {
      const o = mustExist(absolute(q.get('path') ?? undefined));
      if (o.object_type === 'DIRECTORY') throw invalid(`${o.path} is a directory; the local workspace exports notebooks and files only.`);
      const format = q.get('format') ?? 'SOURCE';
      if (!['SOURCE', 'AUTO', 'RAW'].includes(format)) throw invalid(`Unsupported export format ${format} in the local workspace; use SOURCE.`);
      const ext: Record<Language, string> = { SQL: 'sql', PYTHON: 'py', SCALA: 'scala', R: 'r' };
      return { content: store.content(o).toString('base64'), file_type: o.language ? ext[o.language] : '' };
    },
    'GET /api/2.0/workspace/list': (_b, q) => {
      const p = absolute(q.get('path') ?? undefined);
      const o = mustExist(p);
      if (o.object_type !== 'DIRECTORY') return { objects: [o] };
      const objects = store.children(p);
      return objects.length ? { objects } : {};
    },
    'GET /api/2.0/workspace/get-status': (_b, q) => mustExist(absolute(q.get('path') ?? undefined)),
    'POST /api/2.0/workspace/mkdirs': (b) => {
      mkdirs(absolute(b['path']));
      return {};
    },
    'POST /api/2.0/workspace/delete': (b) => {
      const p = absolute(b['path']);
      const o = mustExist(p);
      if (p === '/') throw invalid('Cannot delete the root folder.');
      if (o.object_type === 'DIRECTORY' && store.children(p).length && b['recursive'] !== true) {
        throw new ApiFailure(400, 'DIRECTORY_NOT_EMPTY', `Folder (${p}) is not empty`);
      }
      store.deleteTree(p);
      return {};
    },
  };

  // ---- Jobs API 2.2

  function validateSettings(s: jobs.JobSettings): void {
    const tasks = s.tasks ?? [];
    const keys = new Set<string>();
    for (const t of tasks) {
      if (!t.task_key) throw invalid('Missing required field: settings.tasks.task_key');
      if (keys.has(t.task_key)) throw invalid(`Duplicate task key: ${t.task_key}`);
      keys.add(t.task_key);
      if (!t.notebook_task?.notebook_path) throw invalid(`Task ${t.task_key}: the local workspace runs notebook tasks; notebook_task.notebook_path is required.`);
    }
    for (const t of tasks) {
      for (const d of t.depends_on ?? []) if (!keys.has(d.task_key)) throw invalid(`Task ${t.task_key} depends on ${d.task_key}, which is not a task of the job.`);
    }
    if (s.schedule && !/^\S+(\s+\S+){5,6}$/.test(s.schedule.quartz_cron_expression ?? '')) throw invalid(`Invalid quartz cron expression: ${s.schedule.quartz_cron_expression}`);
  }

  function mustJob(v: unknown): JobRecord {
    const id = int(v, 'job_id');
    const j = store.job(id);
    if (!j) throw invalid(`Job ${id} does not exist.`);
    return j;
  }

  function startRun(opts: { job?: JobRecord; runName: string; tasks: jobs.Task[]; params: Record<string, string>; timeout: number; runType: jobs.RunType; jobParameters?: jobs.JobParameter[] }): RunRecord {
    const runId = store.nextId();
    const now = Date.now();
    const jobId = opts.job?.job_id;
    const runTasks: jobs.RunTask[] = opts.tasks.map((t) => {
      const id = store.nextId();
      return {
        run_id: id,
        task_key: t.task_key,
        ...(t.description ? { description: t.description } : {}),
        ...(t.notebook_task ? { notebook_task: t.notebook_task } : {}),
        ...(t.depends_on ? { depends_on: t.depends_on } : {}),
        ...(t.existing_cluster_id ? { existing_cluster_id: t.existing_cluster_id } : {}),
        ...(t.job_cluster_key ? { job_cluster_key: t.job_cluster_key } : {}),
        run_if: t.run_if ?? 'ALL_SUCCESS',
        attempt_number: 0,
        start_time: 0,
        setup_duration: 0,
        execution_duration: 0,
        cleanup_duration: 0,
        run_page_url: `${baseUrl}/#job/${jobId ?? 0}/run/${id}`,
        state: { life_cycle_state: t.depends_on?.length ? 'BLOCKED' : 'PENDING', state_message: '' },
        status: { state: t.depends_on?.length ? 'BLOCKED' : 'PENDING' },
      } as jobs.RunTask;
    });
    const numberInJob = opts.job ? store.allRuns().filter((r) => r.run.job_id === jobId).length + 1 : runId;
    const run: jobs.Run = {
      ...(jobId !== undefined ? { job_id: jobId } : {}),
      run_id: runId,
      number_in_job: numberInJob,
      original_attempt_run_id: runId,
      creator_user_name: LOCAL_USER,
      run_name: opts.runName,
      run_type: opts.runType,
      trigger: 'ONE_TIME',
      start_time: now,
      setup_duration: 0,
      execution_duration: 0,
      cleanup_duration: 0,
      run_page_url: `${baseUrl}/#job/${jobId ?? 0}/run/${runId}`,
      state: { life_cycle_state: 'PENDING', state_message: 'Waiting for the local Spark.' },
      status: { state: 'PENDING' },
      tasks: runTasks,
      ...(opts.jobParameters ? { job_parameters: opts.jobParameters } : {}),
    };
    const record: RunRecord = { run, outputs: {} };
    store.putRun(record);
    executor.start(record, opts.tasks, opts.params, opts.timeout);
    return record;
  }

  function listing<T>(items: T[], q: URLSearchParams, key: string, max: number): Record<string, unknown> {
    const limit = Math.min(Number(q.get('limit') ?? 20) || 20, max);
    const offset = Number(q.get('page_token') ?? q.get('offset') ?? 0) || 0;
    const page = items.slice(offset, offset + limit);
    const more = offset + limit < items.length;
    return { ...(page.length ? { [key]: page } : {}), has_more: more, ...(more ? { next_page_token: String(offset + limit) } : {}) };
  }

  const jobsApi: Record<string, Handler> = {
    'POST /api/2.2/jobs/create': (b) => {
      const settings = b as jobs.JobSettings;
      validateSettings(settings);
      const job: JobRecord = { job_id: store.nextId(), created_time: Date.now(), creator_user_name: LOCAL_USER, settings };
      store.putJob(job);
      return { job_id: job.job_id };
    },
    'POST /api/2.2/jobs/reset': (b) => {
      const job = mustJob(b['job_id']);
      const settings = b['new_settings'] as jobs.JobSettings | undefined;
      if (!settings || typeof settings !== 'object') throw invalid('Missing required field: new_settings');
      validateSettings(settings);
      store.putJob({ ...job, settings });
      return {};
    },
    'GET /api/2.2/jobs/get': (_b, q) => {
      const j = mustJob(q.get('job_id'));
      return { job_id: j.job_id, creator_user_name: j.creator_user_name, run_as_user_name: j.creator_user_name, created_time: j.created_time, settings: j.settings };
    },
    'GET /api/2.2/jobs/list': (_b, q) => {
      const name = q.get('name');
      const expand = q.get('expand_tasks') === 'true';
      const items = store.allJobs()
        .filter((j) => !name || j.settings.name === name)
        .map((j) => {
          const { tasks: _tasks, job_clusters: _clusters, ...rest } = j.settings;
          return { job_id: j.job_id, creator_user_name: j.creator_user_name, created_time: j.created_time, settings: expand ? j.settings : rest };
        });
      return listing(items, q, 'jobs', 100);
    },
    'POST /api/2.2/jobs/delete': (b) => {
      const j = mustJob(b['job_id']);
      store.deleteJob(j.job_id);
      return {};
    },
    'POST /api/2.2/jobs/run-now': (b) => {
      const job = mustJob(b['job_id']);
      const defs = job.settings.parameters ?? [];
      const given = (b['job_parameters'] ?? {}) as Record<string, unknown>;
      for (const k of Object.keys(given)) {
        if (!defs.some((d) => d.name === k)) throw invalid(`Job parameter ${k} is not defined in job ${job.job_id}; defined: ${defs.map((d) => d.name).join(', ') || 'none'}.`);
      }
      const params: Record<string, string> = {};
      const jobParameters: jobs.JobParameter[] = [];
      for (const d of defs) {
        const value = given[d.name] !== undefined ? String(given[d.name]) : d.default;
        params[d.name] = value;
        jobParameters.push({ name: d.name, default: d.default, value });
      }
      const record = startRun({
        job,
        runName: job.settings.name ?? `job-${job.job_id}`,
        tasks: job.settings.tasks ?? [],
        params,
        timeout: job.settings.timeout_seconds ?? 0,
        runType: 'JOB_RUN',
        jobParameters,
      });
      return { run_id: record.run.run_id, number_in_job: record.run.number_in_job };
    },
    'POST /api/2.2/jobs/runs/submit': (b) => {
      const tasks = (b['tasks'] ?? []) as jobs.Task[];
      if (!tasks.length) throw invalid('Missing required field: tasks');
      validateSettings({ tasks });
      const record = startRun({
        runName: typeof b['run_name'] === 'string' ? b['run_name'] : 'Untitled',
        tasks,
        params: {},
        timeout: typeof b['timeout_seconds'] === 'number' ? b['timeout_seconds'] : 0,
        runType: 'SUBMIT_RUN',
      });
      return { run_id: record.run.run_id };
    },
    'GET /api/2.2/jobs/runs/get': (_b, q) => {
      const id = int(q.get('run_id'), 'run_id');
      const r = store.run(id);
      if (!r) throw invalid(`Run ${id} does not exist.`);
      return r.run;
    },
    'GET /api/2.2/jobs/runs/get-output': (_b, q) => {
      const id = int(q.get('run_id'), 'run_id');
      const whole = store.run(id);
      if (whole && (whole.run.tasks?.length ?? 0) > 1) {
        throw invalid('Retrieving the output of runs with multiple tasks is not supported. Please retrieve the output of each individual task run instead.');
      }
      const found = whole ? { record: whole, task: whole.run.tasks![0]! } : store.taskRun(id);
      if (!found) throw invalid(`Run ${id} does not exist.`);
      const out = found.record.outputs[String(found.task.run_id)] ?? {};
      const { tasks: _tasks, ...runFields } = found.record.run;
      const metadata = { ...runFields, ...found.task };
      return {
        metadata,
        ...(out.result !== undefined ? { notebook_output: { result: out.result, truncated: out.truncated ?? false } } : found.task.notebook_task ? { notebook_output: {} } : {}),
        ...(out.error ? { error: out.error, error_trace: out.error_trace } : {}),
      };
    },
    'GET /api/2.2/jobs/runs/list': (_b, q) => {
      const jobId = q.get('job_id');
      const active = q.get('active_only') === 'true';
      const completed = q.get('completed_only') === 'true';
      const runs = store.allRuns()
        .map((r) => r.run)
        .filter((r) => !jobId || String(r.job_id) === jobId)
        .filter((r) => !active || r.state?.life_cycle_state !== 'TERMINATED')
        .filter((r) => !completed || r.state?.life_cycle_state === 'TERMINATED');
      return listing(q.get('expand_tasks') === 'true' ? runs : runs.map(({ tasks: _t, ...rest }) => rest), q, 'runs', 25);
    },
    'POST /api/2.2/jobs/runs/cancel': async (b) => {
      const id = int(b['run_id'], 'run_id');
      if (!store.run(id)) throw invalid(`Run ${id} does not exist.`);
      await executor.cancel(id);
      return {};
    },
  };

  // ---- Lakeview 2.0: dashboards deployed with the notebooks (stored; `npm run dashboard` draws them locally)

  function mustDashboard(id: string): DashboardRecord {
    const d = store.dashboard(id);
    if (!d || d.lifecycle_state !== 'ACTIVE') throw notFound(`Unable to find dashboard [dashboardId=${id}]`);
    return d;
  }

  function checkSerialized(v: unknown): string {
    const text = str(v, 'serialized_dashboard');
    try {
      const doc = JSON.parse(text) as { pages?: unknown };
      if (!doc || typeof doc !== 'object' || !Array.isArray(doc.pages)) throw new Error('no pages');
    } catch (e) {
      throw invalid(`serialized_dashboard is not a valid dashboard definition: ${e instanceof Error ? e.message : String(e)}`);
    }
    return text;
  }

  const lakeview: Record<string, Handler> = {
    'POST /api/2.0/lakeview/dashboards': (b) => {
      const name = str(b['display_name'], 'display_name');
      const parent = absolute(b['parent_path'] ?? '/Shared', 'parent_path');
      const parentObj = store.object(parent);
      if (!parentObj || parentObj.object_type !== 'DIRECTORY') throw notFound(`Path (${parent}) doesn't exist.`);
      const p = `${parent === '/' ? '' : parent}/${name}.lvdash.json`;
      if (store.object(p)) throw new ApiFailure(400, 'RESOURCE_ALREADY_EXISTS', `Node named '${name}.lvdash.json' already exists`);
      const now = new Date().toISOString();
      const d: DashboardRecord = {
        dashboard_id: randomBytes(16).toString('hex'),
        display_name: name,
        parent_path: parent,
        path: p,
        serialized_dashboard: checkSerialized(b['serialized_dashboard']),
        ...(typeof b['warehouse_id'] === 'string' ? { warehouse_id: b['warehouse_id'] } : {}),
        create_time: now,
        update_time: now,
        etag: String(Date.now()),
        lifecycle_state: 'ACTIVE',
      };
      store.putObject({ path: p, object_type: 'DASHBOARD', object_id: store.nextId(), created_at: Date.now(), modified_at: Date.now(), resource_id: d.dashboard_id });
      store.putDashboard(d);
      return d;
    },
  };
  const lakeviewById: { pattern: RegExp; method: string; handler: (id: string, body: Body) => unknown }[] = [
    { method: 'GET', pattern: /^\/api\/2\.0\/lakeview\/dashboards\/([0-9a-f]{32})$/, handler: (id) => mustDashboard(id) },
    {
      method: 'PATCH',
      pattern: /^\/api\/2\.0\/lakeview\/dashboards\/([0-9a-f]{32})$/,
      handler: (id, b) => {
        const d = { ...mustDashboard(id) };
        if (b['serialized_dashboard'] !== undefined) d.serialized_dashboard = checkSerialized(b['serialized_dashboard']);
        if (typeof b['warehouse_id'] === 'string') d.warehouse_id = b['warehouse_id'];
        d.update_time = new Date().toISOString();
        d.etag = String(Date.now());
        store.putDashboard(d);
        const o = store.object(d.path);
        if (o) store.putObject({ ...o, modified_at: Date.now() });
        return d;
      },
    },
  ];

  const routes: Record<string, Handler> = { ...workspace, ...jobsApi, ...lakeview };

  function authorized(req: IncomingMessage): boolean {
    const h = req.headers['authorization'];
    if (typeof h !== 'string' || !h.startsWith('Bearer ')) return false;
    const given = Buffer.from(h.slice('Bearer '.length));
    const want = Buffer.from(options.token);
    return given.length === want.length && timingSafeEqual(given, want);
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  async function readBody(req: IncomingMessage): Promise<Body> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new ApiFailure(413, 'REQUEST_LIMIT_EXCEEDED', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
      chunks.push(chunk as Buffer);
    }
    if (!size) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new ApiFailure(400, 'MALFORMED_REQUEST', 'Invalid JSON given in the body of the request - failed to parse the JSON.');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ApiFailure(400, 'MALFORMED_REQUEST', 'The body of the request must be a JSON object.');
    return parsed as Body;
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/pinpipe/health') return send(res, 200, { ok: true, lake: options.lakeRoot });
      if (url.pathname === '/' && req.method === 'GET') {
        const rows = store.allRuns().slice(0, 50).map((r) => `<tr><td>${r.run.run_id}</td><td>${escapeHtml(r.run.run_name ?? '')}</td><td>${r.run.state?.life_cycle_state ?? ''} ${r.run.state?.result_state ?? ''}</td><td>${new Date(r.run.start_time ?? 0).toISOString()}</td></tr>`);
        const html = `<!doctype html><title>pinpipe local workspace</title><h1>pinpipe local workspace</h1><p>Lake: ${escapeHtml(options.lakeRoot)}</p><table><tr><th>run</th><th>name</th><th>state</th><th>started</th></tr>${rows.join('')}</table>`;
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(html);
      }
      let handler = routes[`${req.method} ${url.pathname}`];
      for (const r of lakeviewById) {
        const m = r.pattern.exec(url.pathname);
        if (m && r.method === req.method) handler = (body) => r.handler(m[1]!, body);
      }
      try {
        if (!authorized(req)) {
          // What a workspace answers to a missing or wrong personal access token.
          throw new ApiFailure(403, 403, 'Invalid access token.');
        }
        if (!handler) {
          const known = Object.keys(routes).some((k) => k.endsWith(` ${url.pathname}`));
          if (known) throw new ApiFailure(405, 'BAD_REQUEST', `Method ${req.method} is not allowed on ${url.pathname}.`);
          throw new ApiFailure(404, 'ENDPOINT_NOT_FOUND', `No API found for '${req.method} ${url.pathname}'`);
        }
        const body = req.method === 'GET' ? {} : await readBody(req);
        const out = await handler(body, url.searchParams);
        send(res, 200, out ?? {});
      } catch (e) {
        if (e instanceof ApiFailure) {
          send(res, e.status, { error_code: e.errorCode, message: e.message }, e.status === 403 ? { 'x-databricks-reason-phrase': e.message } : {});
        } else {
          log(`workspace: ${req.method} ${url.pathname} failed: ${e instanceof Error ? e.stack : String(e)}`);
          send(res, 500, { error_code: 'INTERNAL_ERROR', message: e instanceof Error ? e.message : String(e) });
        }
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${options.host ?? '127.0.0.1'}:${port}`;
  return {
    url: baseUrl,
    port,
    store,
    close: async () => {
      await executor.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

// The local workspace: a fastify server speaking the part of the Databricks REST API pinpipe and common
// clients call (Workspace 2.0, Jobs 2.2 and 2.1, Lakeview, SCIM Me; one module per area in routes/), with
// Databricks' request and response shapes and its error format ({"error_code", "message"} and the HTTP
// status). Every API call needs the workspace's token. Jobs run on the local Spark; state persists on disk.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { SparkSettings } from '../../config/index.ts';
import { ApiFailure, invalid, RawAnswer, type Body, type Handler, type RouteContext, type Routes, type WarehouseEndpoint } from './api.ts';
export type { WarehouseEndpoint } from './api.ts';
import { parseMultipart } from './multipart.ts';
import { bearerMatches } from './auth.ts';
import { checkStrings, MAX_BODY_BYTES, MAX_JOBS_BODY_BYTES, MAX_JSON_DEPTH, tooDeepField } from './limits.ts';
import { RunExecutor } from './runner.ts';
import { Scheduler } from './scheduler.ts';
import { WorkspaceStore } from './store.ts';
import { jobsRoutes, runJob } from './routes/jobs.ts';
import { runEnded } from '../../databricks/runs.ts';
import { activeRuns, isQueued, recordSkippedRun, startQueued } from './queue.ts';
import { lakeviewRoutes } from './routes/lakeview.ts';
import { runsRoutes } from './routes/runs.ts';
import { scimRoutes } from './routes/scim.ts';
import { workspaceRoutes } from './routes/workspace.ts';
import { computeRoutes } from './routes/compute.ts';
import { startLocalWarehouse } from '../warehouse/endpoint.ts';
import { localTls } from '../tls.ts';

export { generateToken } from './auth.ts';
export { LOCAL_USER } from './api.ts';

export interface WorkspaceServerOptions {
  /** Folder holding the state (state.json, state.journal) and the notebook sources. */
  stateDir: string;
  lakeRoot: string;
  spark: SparkSettings;
  token: string;
  port?: number;
  host?: string;
  maxParallelTasks?: number;
  log?: (line: string) => void;
  shareSpark?: boolean;
  /** Trigger the jobs' unpaused schedules (default true; false: only runs asked for through the API). */
  schedules?: boolean;
  /** Also serve a SQL warehouse (HTTPS, its certificate from tlsDir) on the runs' Spark. */
  warehouse?: { tlsDir: string; port?: number };
}

export interface WorkspaceServer {
  url: string;
  port: number;
  store: WorkspaceStore;
  /** The SQL warehouse served beside the API, when asked for. */
  warehouse: WarehouseEndpoint | null;
  close(): Promise<void>;
}


export const LOCAL_WAREHOUSE_ID = 'pinpipe0local001';
/** The local workspace's id, as host metadata and the X-Databricks-Org-Id header give it. */
export const LOCAL_WORKSPACE_ID = '1000000000000001';

/** The Jobs API's paths: 2.2 (pinpipe, the SDKs) and 2.1 (Airflow's Databricks provider before 7.x, older clients). */
const JOBS_API = /^\/api\/2\.[12]\/jobs\//;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/**
 * A request body as a JSON object, its shape bounded before anything is stored: nesting is measured on the
 * raw text before parsing (so no deep value reaches JSON.parse or a serializer), then string sizes.
 */
function parseBody(raw: Buffer | undefined, url: string): Body {
  if (!raw || !raw.length) return {};
  if (JOBS_API.test(url) && raw.length > MAX_JOBS_BODY_BYTES) {
    throw new ApiFailure(413, 'REQUEST_LIMIT_EXCEEDED', `The request body is larger than ${MAX_JOBS_BODY_BYTES} bytes, the limit of the Jobs API.`);
  }
  const text = raw.toString('utf8');
  const deep = tooDeepField(text, MAX_JSON_DEPTH);
  if (deep !== undefined) throw invalid(`Invalid value for field ${deep}: JSON nested deeper than ${MAX_JSON_DEPTH} levels.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiFailure(400, 'MALFORMED_REQUEST', 'Invalid JSON given in the body of the request - failed to parse the JSON.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ApiFailure(400, 'MALFORMED_REQUEST', 'The body of the request must be a JSON object.');
  checkStrings(parsed as Body);
  return parsed as Body;
}

/** The fastify app of the workspace API over a store and a run executor (tests use it with inject()). */
export function workspaceApp(ctx: RouteContext, options: { token: string; lakeRoot: string }): FastifyInstance {
  const app = Fastify({
    bodyLimit: MAX_BODY_BYTES,
    connectionTimeout: 60_000,
    requestTimeout: 120_000,
    keepAliveTimeout: 10_000,
    // A URL the router cannot decode names no API.
    frameworkErrors: (_e, req, reply) => {
      void (reply as FastifyReply).code(404).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify({ error_code: 'ENDPOINT_NOT_FOUND', message: `No API found for '${req.method} ${req.url.split('?', 1)[0]}'` }));
    },
  });
  // Bodies are parsed by the routes (any content type, as the REST API reads JSON), so errors keep Databricks' shape.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const known = new Set<string>();
  const paths = new Set<string>();
  const route = (method: string, url: string, version: string, handler: Handler) => {
    known.add(`${method} ${url}`);
    paths.add(url);
    app.route({
      method: method as 'GET',
      url,
      handler: async (req, reply) => {
        const type = String(req.headers['content-type'] ?? '');
        const body = req.method === 'GET' ? {}
          : type.startsWith('multipart/form-data') ? await parseMultipart((req.body as Buffer | undefined) ?? Buffer.alloc(0), type, MAX_BODY_BYTES)
            : parseBody(req.body as Buffer | undefined, url);
        const query = new URL(req.url, 'http://localhost').searchParams;
        const params = { ...(req.params as Record<string, string>), ...(version ? { api_version: version } : {}) };
        const out = await handler(body, query, params);
        // A file's bytes as they are (workspace/export with direct_download), else Databricks' JSON.
        if (out instanceof RawAnswer) return reply.code(200).header('content-type', out.contentType).send(out.bytes);
        return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(out ?? {}));
      },
    });
  };
  const add = (routes: Routes) => {
    for (const [key, handler] of Object.entries(routes)) {
      const [method, url] = key.split(' ') as [string, string];
      // Each Jobs API 2.2 route also answers as 2.1 (Airflow's Databricks provider before 7.x calls 2.1); the
      // two differ only where a route reads the api_version parameter.
      if (url.startsWith('/api/2.2/jobs/')) {
        route(method, url, '2.2', handler);
        route(method, url.replace('/api/2.2/', '/api/2.1/'), '2.1', handler);
      } else route(method, url, '', handler);
    }
  };

  app.addHook('onRequest', async (req) => {
    const pathname = req.url.split('?', 1)[0]!;
    if (pathname === '/pinpipe/health' || pathname === '/.well-known/databricks-config' || (pathname === '/' && req.method === 'GET')) return;
    // What a workspace answers to a missing or wrong personal access token (error_code a string, as everywhere).
    if (!bearerMatches(req.headers['authorization'], options.token)) throw new ApiFailure(403, '403', 'Invalid access token.');
  });

  app.get('/pinpipe/health', async () => ({ ok: true, lake: options.lakeRoot }));
  // The local schedules (pinpipe's own route, with the token like the API): next triggers, triggers missed while stopped.
  app.get('/pinpipe/schedules', async () => ctx.schedules?.() ?? { schedules: [], missed: [] });
  // Host metadata, which the SDKs read (without a token) on first contact: a workspace host, its OIDC endpoint.
  app.get('/.well-known/databricks-config', async () => ({
    oidc_endpoint: `${ctx.baseUrl()}/oidc`, workspace_id: LOCAL_WORKSPACE_ID, cloud: 'AWS', host_type: 'workspace',
  }));
  app.get('/', async (_req, reply) => {
    const rows = ctx.store.allRuns().slice(0, 50).map((r) => `<tr><td>${r.run.run_id}</td><td>${escapeHtml(r.run.run_name ?? '')}</td><td>${r.run.state?.life_cycle_state ?? ''} ${r.run.state?.result_state ?? ''}</td><td>${new Date(r.run.start_time ?? 0).toISOString()}</td></tr>`);
    return reply.type('text/html; charset=utf-8').send(`<!doctype html><title>pinpipe local workspace</title><h1>pinpipe local workspace</h1><p>Lake: ${escapeHtml(options.lakeRoot)}</p><table><tr><th>run</th><th>name</th><th>state</th><th>started</th></tr>${rows.join('')}</table>`);
  });
  add(workspaceRoutes(ctx));
  add(jobsRoutes(ctx));
  add(runsRoutes(ctx));
  add(lakeviewRoutes(ctx));
  add(scimRoutes());
  add(computeRoutes(ctx));

  app.setNotFoundHandler((req) => {
    const pathname = req.url.split('?', 1)[0]!;
    if (paths.has(pathname)) throw new ApiFailure(405, 'BAD_REQUEST', `Method ${req.method} is not allowed on ${pathname}.`);
    throw new ApiFailure(404, 'ENDPOINT_NOT_FOUND', `No API found for '${req.method} ${pathname}'`);
  });
  app.setErrorHandler((e: FastifyError | ApiFailure, req, reply) => {
    let failure: ApiFailure;
    if (e instanceof ApiFailure) failure = e;
    else if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') failure = new ApiFailure(413, 'REQUEST_LIMIT_EXCEEDED', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
    else if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) failure = new ApiFailure(400, 'MALFORMED_REQUEST', e.message);
    else {
      ctx.log(`workspace: ${req.method} ${req.url} failed: ${e.stack ?? e.message}`);
      failure = new ApiFailure(500, 'INTERNAL_ERROR', e.message);
    }
    if (failure.status === 403) void reply.header('x-databricks-reason-phrase', failure.message);
    return reply.code(failure.status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify({ error_code: failure.errorCode, message: failure.message }));
  });
  return app;
}

export async function startWorkspaceServer(options: WorkspaceServerOptions): Promise<WorkspaceServer> {
  const log = options.log ?? (() => {});
  const store = new WorkspaceStore(options.stateDir, { log });
  let baseUrl = '';
  const executor = new RunExecutor(store, {
    lakeRoot: options.lakeRoot,
    spark: options.spark,
    maxParallel: options.maxParallelTasks ?? 3,
    baseUrl: () => baseUrl,
    log,
    shareSpark: options.shareSpark ?? false,
  });
  // Runs left RUNNING by a server that stopped cannot be resumed: they end as failed, with the reason. Queued
  // runs never started: they stay queued, and start below once the server listens.
  for (const r of store.allRuns()) {
    if (!runEnded(r.run.state?.life_cycle_state) && !isQueued(r)) {
      const message = 'The local workspace stopped while the run was active.';
      store.putRun({
        ...r,
        run: {
          ...r.run,
          state: { life_cycle_state: 'INTERNAL_ERROR', result_state: 'FAILED', state_message: message },
          status: { state: 'TERMINATED', termination_details: { code: 'INTERNAL_ERROR', type: 'INTERNAL_ERROR', message } },
          end_time: r.run.end_time ?? Date.now(),
        },
      });
    }
  }
  let warehouse: WarehouseEndpoint | null = null;
  const ctx: RouteContext = { store, executor, baseUrl: () => baseUrl, warehouse: () => warehouse, log };
  let scheduler: Scheduler | null = null;
  ctx.schedules = () => ({ schedules: scheduler?.schedules() ?? [], missed: scheduler?.missed ?? [] });
  const app = workspaceApp(ctx, { token: options.token, lakeRoot: options.lakeRoot });
  const host = options.host ?? '127.0.0.1';
  let port = 0;
  let stopWarehouse = async () => {};
  let queueTimer: NodeJS.Timeout | undefined;
  try {
    await app.listen({ port: options.port ?? 0, host });
    const address = app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
    baseUrl = `http://${host}:${port}`;
    if (options.warehouse) {
      const tls = localTls(options.warehouse.tlsDir);
      const wh = await startLocalWarehouse({
        spark: async () => (await executor.session()).client,
        token: options.token,
        warehouseId: LOCAL_WAREHOUSE_ID,
        tls,
        host,
        port: options.warehouse.port ?? 0,
        log,
      });
      warehouse = { serverHostname: host, port: wh.port, httpPath: `/sql/1.0/warehouses/${LOCAL_WAREHOUSE_ID}`, warehouseId: LOCAL_WAREHOUSE_ID, caFile: tls.caFile };
      stopWarehouse = () => wh.stop();
    }
    // Schedules fire only once the server answers (a triggered run's page URL needs the base URL) and the
    // warehouse is up: a start that fails leaves no scheduler behind, nor its scheduler.json heartbeat.
    if (options.schedules !== false) {
      scheduler = new Scheduler({
        store,
        stateDir: options.stateDir,
        trigger: (job) => runJob(ctx, job, { trigger: 'PERIODIC' }),
        skip: (job, at) => recordSkippedRun(ctx, job, at),
        activeRuns: (jobId) => activeRuns(ctx, jobId),
        log,
      });
      scheduler.start();
    }
    // Runs queued when the server stopped: those with a free slot start now (last, so a start that fails
    // leaves them queued; a trigger of the first tick queues behind them), the others when a run of their job
    // ends; the check every minute ends those queued for 48 hours.
    startQueued(ctx);
    queueTimer = setInterval(() => startQueued(ctx), 60_000);
    queueTimer.unref();
  } catch (e) {
    clearInterval(queueTimer);
    scheduler?.stop();
    await stopWarehouse().catch(() => {});
    await executor.close().catch(() => {});
    await app.close().catch(() => {});
    store.close();
    throw e;
  }
  return {
    url: baseUrl,
    port,
    store,
    warehouse,
    close: async () => {
      clearInterval(queueTimer);
      scheduler?.stop();
      // No new requests first (in-flight ones finish), so nothing starts a run while the runs are stopped.
      await app.close();
      await stopWarehouse();
      await executor.close();
      store.close();
    },
  };
}

// A local SQL warehouse endpoint: the HiveServer2 Thrift protocol over HTTPS that Databricks SQL warehouses
// speak at /sql/1.0/warehouses/<id>, served with the TCLIService code that ships inside @databricks/sql
// and backed by the local Spark. A real warehouse cannot run here; this lets the driver path of
// `query --target <databricks target>` and of the Python SQL connector run for real against the same tables:
// sessions; statements with named or positional parameters; results as Arrow (schema and record batches,
// native types as the client asks) or, for clients that cannot read Arrow, column sets, DECIMAL typed with
// its precision and scale; direct results, or an operation to poll (GetOperationStatus), fetch, cancel and
// close; the catalog calls (GetCatalogs, GetSchemas, GetTables, GetColumns). A SQL error is an operation in
// ERROR_STATE with Spark's message and SQLSTATE. Served by fastify over HTTPS: the Thrift body arrives as
// bytes and the processor's answer goes back as bytes.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { SparkStatementError, type SparkClient } from '../spark/client.ts';
import type { StatementResult } from '../../sql/result.ts';
import { bearerMatches } from '../workspace/auth.ts';
import { arrowResult, type NativeTypes } from './arrow-result.ts';
import { getCatalogs, getColumns, getSchemas, getTables } from './metadata.ts';
import { columnRowSet, Int64, T, tableSchema } from './thrift-types.ts';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
const thrift = require('thrift') as any;
const TCLIService = require('@databricks/sql/thrift/TCLIService') as any;

export interface LocalWarehouse {
  host: string;
  port: number;
  warehouseId: string;
  stop(): Promise<void>;
}

export interface LocalWarehouseOptions {
  /** The Spark to run on, or how to get it when the first statement comes (the workspace's, started lazily). */
  spark: SparkClient | (() => Promise<SparkClient>);
  /** The bearer token the endpoint takes; any other gets 403, as a workspace answers a bad token. */
  token: string;
  warehouseId?: string;
  /** HTTPS, as warehouses are reached; startLocalWarehouse requires it. */
  tls?: { key: Buffer; cert: Buffer };
  host?: string;
  port?: number;
  log?: (line: string) => void;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Operations kept for polling and fetching until closed; past this the oldest are dropped. */
const MAX_OPERATIONS = 1000;

const ok = () => new T.TStatus({ statusCode: T.TStatusCode.SUCCESS_STATUS });
const failed = (message: string) => new T.TStatus({ statusCode: T.TStatusCode.ERROR_STATUS, errorMessage: message, sqlState: 'HY000' });
// Handles are version-4 UUIDs, as the driver checks when it prints a session or operation id.
const uuid = () => Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
const handle = () => new T.THandleIdentifier({ guid: uuid(), secret: uuid() });
const key = (h: any): string => h?.operationId?.guid?.toString('hex') ?? h?.sessionId?.guid?.toString('hex') ?? '';

/** A statement or catalog call: running, then finished with a result or failed; fetched once, then empty. */
interface Operation {
  state: 'RUNNING' | 'FINISHED' | 'ERROR' | 'CANCELED';
  result: StatementResult | null;
  error: { message: string; sqlState: string } | null;
  /** Arrow's native types when the client reads Arrow; null: a column-based set. */
  arrow: NativeTypes | null;
  fetched: boolean;
  group: string;
  done: Promise<void>;
}

/** Named parameters (a map) or positional ones (`?`, in order), as the drivers send TSparkParameter. */
function parameters(params: any[] | null | undefined): Record<string, unknown> | unknown[] {
  const value = (p: any) => {
    const raw = p.value?.stringValue ?? null;
    const type = String(p.type ?? 'STRING').toUpperCase();
    if (raw === null || type === 'VOID') return null;
    if (/^(INT|INTEGER|BIGINT|SMALLINT|TINYINT|DOUBLE|FLOAT)$/.test(type)) return Number(raw);
    return type === 'BOOLEAN' ? raw === 'true' : raw;
  };
  const list = params ?? [];
  if (list.length && list.every((p) => !p?.name)) return list.map(value);
  return Object.fromEntries(list.filter((p) => p?.name).map((p) => [p.name, value(p)]));
}

function metadata(op: Operation): any {
  const result = op.result!;
  const common = { status: ok(), schema: tableSchema(result), lz4Compressed: false, isStagingOperation: false };
  if (!op.arrow) return new T.TGetResultSetMetadataResp({ ...common, resultFormat: T.TSparkRowSetType.COLUMN_BASED_SET });
  return new T.TGetResultSetMetadataResp({ ...common, resultFormat: T.TSparkRowSetType.ARROW_BASED_SET, arrowSchema: arrowResult({ ...result, rows: [] }, op.arrow).schema });
}

function rowSet(op: Operation): any {
  const rows = op.fetched ? [] : op.result!.rows;
  op.fetched = true;
  if (!op.arrow) return columnRowSet(op.result!, rows);
  const { batch, rowCount } = arrowResult({ ...op.result!, rows }, op.arrow);
  return new T.TRowSet({ startRowOffset: new Int64(0), rows: [], arrowBatches: rowCount ? [new T.TSparkArrowBatch({ batch, rowCount: new Int64(rowCount) })] : [] });
}

function status(op: Operation): any {
  const state = { RUNNING: T.TOperationState.RUNNING_STATE, FINISHED: T.TOperationState.FINISHED_STATE, ERROR: T.TOperationState.ERROR_STATE, CANCELED: T.TOperationState.CANCELED_STATE }[op.state];
  return new T.TGetOperationStatusResp({
    status: ok(), operationState: state, hasResultSet: op.state === 'FINISHED',
    ...(op.error ? { errorMessage: op.error.message, displayMessage: op.error.message, sqlState: op.error.sqlState } : {}),
  });
}

/** The endpoint as a fastify app (HTTPS when given TLS; tests use it with inject()). */
export function warehouseApp(options: LocalWarehouseOptions): FastifyInstance {
  const warehouseId = options.warehouseId ?? 'local';
  const sessions = new Set<string>();
  const operations = new Map<string, Operation>();
  const spark = async () => (typeof options.spark === 'function' ? await options.spark() : options.spark);

  /** Starts an operation: the work runs at once; the answer waits for it only when direct results are asked for. */
  const start = (work: (group: string) => Promise<StatementResult>, req: any): { opHandle: any; op: Operation } => {
    const opHandle = new T.TOperationHandle({ operationId: handle(), operationType: T.TOperationType.EXECUTE_STATEMENT, hasResultSet: true });
    const native = req.useArrowNativeTypes;
    const op: Operation = {
      state: 'RUNNING', result: null, error: null, fetched: false, group: `wh-${key(opHandle)}`,
      arrow: req.canReadArrowResult ? { timestampAsArrow: native?.timestampAsArrow === true, decimalAsArrow: native?.decimalAsArrow === true, complexTypesAsArrow: native?.complexTypesAsArrow === true } : null,
      done: Promise.resolve(),
    };
    op.done = work(op.group).then(
      (result) => { if (op.state === 'RUNNING') { op.result = result; op.state = 'FINISHED'; } },
      (e: unknown) => {
        if (op.state !== 'RUNNING') return;
        const err = e instanceof SparkStatementError ? e : null;
        op.error = { message: err ? `${err.errorClass ? `[${err.errorClass}] ` : ''}${err.sparkMessage}` : e instanceof Error ? e.message : String(e), sqlState: err?.sqlState ?? 'HY000' };
        op.state = 'ERROR';
      },
    );
    operations.set(key(opHandle), op);
    while (operations.size > MAX_OPERATIONS) operations.delete(operations.keys().next().value!);
    return { opHandle, op };
  };

  /** The answer to an execute or catalog call: direct results when asked for, else the handle to poll. */
  const answer = async (Resp: any, req: any, work: (group: string) => Promise<StatementResult>) => {
    if (!sessions.has(key(req.sessionHandle))) return new Resp({ status: failed('Invalid SessionHandle') });
    const { opHandle, op } = start(work, req);
    if (!req.getDirectResults) return new Resp({ status: ok(), operationHandle: opHandle });
    await op.done;
    if (op.state !== 'FINISHED') {
      return new Resp({ status: ok(), operationHandle: opHandle, directResults: new T.TSparkDirectResults({ operationStatus: status(op), closeOperation: new T.TCloseOperationResp({ status: ok() }) }) });
    }
    operations.delete(key(opHandle));
    return new Resp({
      status: ok(),
      operationHandle: opHandle,
      directResults: new T.TSparkDirectResults({
        operationStatus: status(op),
        resultSetMetadata: metadata(op),
        resultSet: new T.TFetchResultsResp({ status: ok(), hasMoreRows: false, results: rowSet(op) }),
        closeOperation: new T.TCloseOperationResp({ status: ok() }),
      }),
    });
  };
  const found = (req: any): Operation | undefined => operations.get(key(req.operationHandle));

  const handler = {
    // One parameter each: the generated processor calls a one-argument handler and awaits its promise.
    async OpenSession(_req: unknown) {
      const sessionId = handle();
      sessions.add(sessionId.guid.toString('hex'));
      return new T.TOpenSessionResp({
        status: ok(),
        serverProtocolVersion: T.TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8,
        sessionHandle: new T.TSessionHandle({ sessionId }),
      });
    },
    async CloseSession(req: any) {
      sessions.delete(key(req.sessionHandle));
      return new T.TCloseSessionResp({ status: ok() });
    },
    async ExecuteStatement(req: any) {
      return answer(T.TExecuteStatementResp, req, async (group) => (await spark()).sql(String(req.statement), parameters(req.parameters), { group, maxRows: 1_000_000, decimalsAsText: true }));
    },
    async GetCatalogs(req: any) {
      return answer(T.TGetCatalogsResp, req, async () => getCatalogs(await spark()));
    },
    async GetSchemas(req: any) {
      return answer(T.TGetSchemasResp, req, async () => getSchemas(await spark(), req));
    },
    async GetTables(req: any) {
      return answer(T.TGetTablesResp, req, async () => getTables(await spark(), req));
    },
    async GetColumns(req: any) {
      return answer(T.TGetColumnsResp, req, async () => getColumns(await spark(), req));
    },
    async GetOperationStatus(req: any) {
      const op = found(req);
      if (!op) return new T.TGetOperationStatusResp({ status: failed('Invalid OperationHandle') });
      return status(op);
    },
    async GetResultSetMetadata(req: any) {
      const op = found(req);
      if (!op) return new T.TGetResultSetMetadataResp({ status: failed('Invalid OperationHandle') });
      await op.done;
      if (op.state !== 'FINISHED') return new T.TGetResultSetMetadataResp({ status: failed(op.error?.message ?? `The operation is ${op.state}.`) });
      return metadata(op);
    },
    async FetchResults(req: any) {
      const op = found(req);
      if (!op) return new T.TFetchResultsResp({ status: failed('Invalid OperationHandle') });
      await op.done;
      if (op.state !== 'FINISHED') return new T.TFetchResultsResp({ status: failed(op.error?.message ?? `The operation is ${op.state}.`) });
      return new T.TFetchResultsResp({ status: ok(), hasMoreRows: false, results: rowSet(op), ...(req.includeResultSetMetadata ? { resultSetMetadata: metadata(op) } : {}) });
    },
    async CloseOperation(req: any) {
      operations.delete(key(req.operationHandle));
      return new T.TCloseOperationResp({ status: ok() });
    },
    async CancelOperation(req: any) {
      const op = found(req);
      if (op && op.state === 'RUNNING') {
        op.state = 'CANCELED';
        await (await spark()).cancel(op.group).catch(() => {});
      }
      return new T.TCancelOperationResp({ status: ok() });
    },
  };
  return thriftApp(new TCLIService.Processor(handler), `/sql/1.0/warehouses/${warehouseId}`, options);
}

/** The processor's answer to one Thrift call: the request bytes in, the response bytes out. */
function processCall(processor: any, body: Buffer): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    thrift.TBufferedTransport.receiver((reader: unknown) => {
      const input = new thrift.TBinaryProtocol(reader);
      const output = new thrift.TBinaryProtocol(new thrift.TBufferedTransport(undefined, (buf: Buffer) => resolve(buf)));
      try {
        processor.process(input, output);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    })(body);
  });
}

function thriftApp(processor: any, path: string, options: LocalWarehouseOptions): FastifyInstance {
  const json = (reply: FastifyReply, status: number, body: string, headers: Record<string, string> = {}) =>
    reply.code(status).headers({ 'content-type': 'application/json', ...headers }).send(Buffer.from(body));
  const notFound = (reply: FastifyReply, url: string) =>
    json(reply, 404, JSON.stringify({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: `No SQL warehouse at ${url}; this one is ${path}.` }));
  const app = Fastify({
    ...(options.tls ? { https: options.tls } : {}),
    bodyLimit: MAX_BODY_BYTES,
    connectionTimeout: 60_000,
    requestTimeout: 600_000,
    keepAliveTimeout: 30_000,
    // A URL the router cannot decode is no warehouse's path.
    frameworkErrors: (_e, req, reply) => void notFound(reply as FastifyReply, req.url),
  });
  // The driver posts application/x-thrift; the body stays bytes for the processor.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-thrift', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addHook('onRequest', async (req, reply) => {
    // What a workspace answers to a missing or wrong token.
    if (!bearerMatches(req.headers.authorization, options.token)) {
      return json(reply, 403, '{"error_code":"403","message":"Invalid access token."}', { 'x-databricks-reason-phrase': 'Invalid access token.' });
    }
  });
  app.post(path, async (req, reply) => {
    const answer = await processCall(processor, (req.body as Buffer | undefined) ?? Buffer.alloc(0)).catch((e: Error) => e);
    if (answer instanceof Error) return reply.code(400).type('text/plain').send(`not a Thrift TCLIService call: ${answer.message}`);
    return reply.code(200).header('content-type', 'application/x-thrift').send(answer);
  });
  app.setNotFoundHandler((req, reply) => notFound(reply, req.url));
  app.setErrorHandler((e: FastifyError, req, reply) => {
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return json(reply, 413, JSON.stringify({ error_code: 'REQUEST_LIMIT_EXCEEDED', message: `The request body is larger than ${MAX_BODY_BYTES} bytes.` }));
    }
    // Any other body than Thrift's, or a request fastify refuses, is not a Thrift call: a 400 as before fastify.
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.code(400).type('text/plain').send(`not a Thrift TCLIService call: ${e.message}`);
    }
    options.log?.(`warehouse endpoint: ${req.method} ${req.url} failed: ${e.stack ?? e.message}`);
    return json(reply, 500, JSON.stringify({ error_code: 'INTERNAL_ERROR', message: e.message }));
  });
  return app;
}

export async function startLocalWarehouse(options: LocalWarehouseOptions & { tls: { key: Buffer; cert: Buffer } }): Promise<LocalWarehouse> {
  const warehouseId = options.warehouseId ?? 'local';
  const host = options.host ?? '127.0.0.1';
  const app = warehouseApp({ ...options, warehouseId });
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  return {
    host,
    port: typeof address === 'object' && address ? address.port : 0,
    warehouseId,
    stop: () => app.close(),
  };
}

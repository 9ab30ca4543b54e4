// A local SQL warehouse endpoint: the HiveServer2 Thrift protocol over HTTPS that Databricks SQL warehouses
// speak at /sql/1.0/warehouses/<id>, served with the TCLIService code that ships inside @databricks/sql
// and backed by the local Spark. A real warehouse cannot run here; this lets the driver path of
// `query --target <databricks target>` (open a session, execute with named parameters, read typed
// columns, SQL errors as the warehouse reports them) run for real against the same tables.
// Statements run synchronously and come back as direct results (column-based), as a warehouse does for
// small results; a SQL error is an operation in ERROR_STATE with Spark's message and SQLSTATE. Served by
// fastify over HTTPS: the Thrift body arrives as bytes and the processor's answer goes back as bytes.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { SparkStatementError, type SparkClient } from '../spark/client.ts';
import type { StatementResult } from '../../sql/result.ts';
import { bearerMatches } from '../workspace/auth.ts';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
const thrift = require('thrift') as any;
const TCLIService = require('@databricks/sql/thrift/TCLIService') as any;
const T = require('@databricks/sql/thrift/TCLIService_types') as any;
const Int64 = require('node-int64') as any;

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

const ok = () => new T.TStatus({ statusCode: T.TStatusCode.SUCCESS_STATUS });
// Handles are version-4 UUIDs, as the driver checks when it prints a session or operation id.
const uuid = () => Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
const handle = () => new T.THandleIdentifier({ guid: uuid(), secret: uuid() });

/** A Spark type (simpleString) as a Thrift type id and the TColumn field its values go in. */
function thriftType(sparkType: string): { id: number; field: string; value: (v: unknown) => unknown } {
  const text = (v: unknown) => (typeof v === 'object' ? JSON.stringify(v) : String(v));
  switch (sparkType) {
    case 'boolean': return { id: T.TTypeId.BOOLEAN_TYPE, field: 'boolVal', value: Boolean };
    case 'tinyint': return { id: T.TTypeId.TINYINT_TYPE, field: 'byteVal', value: Number };
    case 'smallint': return { id: T.TTypeId.SMALLINT_TYPE, field: 'i16Val', value: Number };
    case 'int': return { id: T.TTypeId.INT_TYPE, field: 'i32Val', value: Number };
    case 'bigint': return { id: T.TTypeId.BIGINT_TYPE, field: 'i64Val', value: (v) => new Int64(Number(v)) };
    case 'float': return { id: T.TTypeId.FLOAT_TYPE, field: 'doubleVal', value: Number };
    case 'double': return { id: T.TTypeId.DOUBLE_TYPE, field: 'doubleVal', value: Number };
    case 'date': return { id: T.TTypeId.DATE_TYPE, field: 'stringVal', value: text };
    case 'timestamp': return { id: T.TTypeId.TIMESTAMP_TYPE, field: 'stringVal', value: text };
    default:
      if (sparkType.startsWith('decimal')) return { id: T.TTypeId.DECIMAL_TYPE, field: 'stringVal', value: text };
      return { id: T.TTypeId.STRING_TYPE, field: 'stringVal', value: text };
  }
}

/** Per TColumn field: its column class, and the placeholder a null takes (the nulls bitmap marks it). */
const COLUMN: Record<string, { cls: string; zero: unknown }> = {
  boolVal: { cls: 'TBoolColumn', zero: false },
  byteVal: { cls: 'TByteColumn', zero: 0 },
  i16Val: { cls: 'TI16Column', zero: 0 },
  i32Val: { cls: 'TI32Column', zero: 0 },
  i64Val: { cls: 'TI64Column', zero: new Int64(0) },
  doubleVal: { cls: 'TDoubleColumn', zero: 0 },
  stringVal: { cls: 'TStringColumn', zero: '' },
};

function resultSet(result: StatementResult): { schema: any; rowSet: any } {
  const columns = result.columns.map((c, i) => ({ ...c, position: i + 1, t: thriftType(c.type) }));
  const schema = new T.TTableSchema({
    columns: columns.map((c) => new T.TColumnDesc({
      columnName: c.name,
      position: c.position,
      typeDesc: new T.TTypeDesc({ types: [new T.TTypeEntry({ primitiveEntry: new T.TPrimitiveTypeEntry({ type: c.t.id }) })] }),
    })),
  });
  const rowSet = new T.TRowSet({
    startRowOffset: new Int64(0),
    rows: [],
    columns: columns.map((c) => {
      const nulls = Buffer.alloc(Math.ceil(result.rows.length / 8));
      const values = result.rows.map((row, i) => {
        const v = row[c.name];
        if (v === null || v === undefined) {
          nulls[Math.floor(i / 8)]! |= 1 << (i % 8);
          return COLUMN[c.t.field]!.zero;
        }
        return c.t.value(v);
      });
      return new T.TColumn({ [c.t.field]: new T[COLUMN[c.t.field]!.cls]({ values, nulls }) });
    }),
  });
  return { schema, rowSet };
}

/** Named parameters as the driver sends them (TSparkParameter), as values for Spark's binding. */
function parameters(params: any[] | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of params ?? []) {
    if (!p?.name) continue;
    const raw = p.value?.stringValue ?? null;
    const type = String(p.type ?? 'STRING').toUpperCase();
    out[p.name] = raw === null ? null : ['INTEGER', 'BIGINT', 'SMALLINT', 'TINYINT', 'DOUBLE', 'FLOAT', 'DECIMAL'].includes(type) ? Number(raw) : type === 'BOOLEAN' ? raw === 'true' : raw;
  }
  return out;
}

/** The endpoint as a fastify app (HTTPS when given TLS; tests use it with inject()). */
export function warehouseApp(options: LocalWarehouseOptions): FastifyInstance {
  const warehouseId = options.warehouseId ?? 'local';
  const sessions = new Set<string>();
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
      sessions.delete(req.sessionHandle?.sessionId?.guid?.toString('hex'));
      return new T.TCloseSessionResp({ status: ok() });
    },
    async ExecuteStatement(req: any) {
      if (!sessions.has(req.sessionHandle?.sessionId?.guid?.toString('hex'))) {
        return new T.TExecuteStatementResp({ status: new T.TStatus({ statusCode: T.TStatusCode.ERROR_STATUS, errorMessage: 'Invalid SessionHandle', sqlState: 'HY000' }) });
      }
      const operationHandle = new T.TOperationHandle({ operationId: handle(), operationType: T.TOperationType.EXECUTE_STATEMENT, hasResultSet: true });
      let result: StatementResult;
      try {
        const spark = typeof options.spark === 'function' ? await options.spark() : options.spark;
        result = await spark.sql(String(req.statement), parameters(req.parameters), { maxRows: 1_000_000 });
      } catch (e) {
        const err = e instanceof SparkStatementError ? e : null;
        const message = err ? `${err.errorClass ? `[${err.errorClass}] ` : ''}${err.sparkMessage}` : e instanceof Error ? e.message : String(e);
        return new T.TExecuteStatementResp({
          status: ok(),
          operationHandle,
          directResults: new T.TSparkDirectResults({
            operationStatus: new T.TGetOperationStatusResp({
              status: ok(), operationState: T.TOperationState.ERROR_STATE, errorMessage: message, displayMessage: message, sqlState: err?.sqlState ?? 'HY000',
            }),
            closeOperation: new T.TCloseOperationResp({ status: ok() }),
          }),
        });
      }
      const { schema, rowSet } = resultSet(result);
      return new T.TExecuteStatementResp({
        status: ok(),
        operationHandle,
        directResults: new T.TSparkDirectResults({
          operationStatus: new T.TGetOperationStatusResp({ status: ok(), operationState: T.TOperationState.FINISHED_STATE, hasResultSet: true }),
          resultSetMetadata: new T.TGetResultSetMetadataResp({ status: ok(), schema, resultFormat: T.TSparkRowSetType.COLUMN_BASED_SET }),
          resultSet: new T.TFetchResultsResp({ status: ok(), hasMoreRows: false, results: rowSet }),
          closeOperation: new T.TCloseOperationResp({ status: ok() }),
        }),
      });
    },
    async CloseOperation(_req: unknown) {
      return new T.TCloseOperationResp({ status: ok() });
    },
    async CancelOperation(_req: unknown) {
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

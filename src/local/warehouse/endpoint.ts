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
import Fastify from 'fastify';
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
  spark: SparkClient;
  /** The bearer token the endpoint takes; any other gets 403, as a workspace answers a bad token. */
  token: string;
  warehouseId?: string;
  tls: { key: Buffer; cert: Buffer };
}

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

export async function startLocalWarehouse(options: LocalWarehouseOptions): Promise<LocalWarehouse> {
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
        result = await options.spark.sql(String(req.statement), parameters(req.parameters), { maxRows: 1_000_000 });
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
  const processor = new TCLIService.Processor(handler);
  const path = `/sql/1.0/warehouses/${warehouseId}`;
  const app = Fastify({ https: options.tls, bodyLimit: 64 * 1024 * 1024, connectionTimeout: 60_000, requestTimeout: 600_000, keepAliveTimeout: 30_000 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addHook('onRequest', async (req, reply) => {
    if (!bearerMatches(req.headers.authorization, options.token)) {
      return reply.code(403).headers({ 'content-type': 'application/json', 'x-databricks-reason-phrase': 'Invalid access token.' }).send(Buffer.from('{"error_code":"403","message":"Invalid access token."}'));
    }
  });
  app.post(path, async (req, reply) => {
    const answer = await new Promise<Buffer>((resolve, reject) => {
      thrift.TBufferedTransport.receiver((reader: unknown) => {
        const input = new thrift.TBinaryProtocol(reader);
        const output = new thrift.TBinaryProtocol(new thrift.TBufferedTransport(undefined, (buf: Buffer) => resolve(buf)));
        try {
          processor.process(input, output);
        } catch (e) {
          reject(e);
        }
      })((req.body as Buffer | undefined) ?? Buffer.alloc(0));
    }).catch((e: unknown) => e as Error);
    if (answer instanceof Error) return reply.code(400).type('text/plain').send(`not a Thrift TCLIService call: ${answer.message}`);
    return reply.code(200).header('content-type', 'application/x-thrift').send(answer);
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).header('content-type', 'application/json').send(Buffer.from(JSON.stringify({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: `No SQL warehouse at ${req.url}; this one is ${path}.` }))));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return {
    host: '127.0.0.1',
    port: typeof address === 'object' && address ? address.port : 0,
    warehouseId,
    stop: () => app.close(),
  };
}

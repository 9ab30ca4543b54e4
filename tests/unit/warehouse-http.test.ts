// The local SQL warehouse endpoint's HTTP contract without a socket or Spark (fastify's inject, a stand-in
// Spark client): the token (403 with Databricks' reason header), other paths and methods (404), fastify's
// own errors in the endpoint's shapes (a body past the limit, another content type, a bad URL), and a real
// Thrift call (OpenSession, then ExecuteStatement answered as direct results, and a SQL error) in and out.
import { expect } from 'chai';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { warehouseApp } from '../../src/local/warehouse/endpoint.ts';
import { SparkStatementError, type SparkClient } from '../../src/local/spark/client.ts';
import { tableFromIPC } from 'apache-arrow';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
const thrift = require('thrift') as any;
const TCLIService = require('@databricks/sql/thrift/TCLIService') as any;
const T = require('@databricks/sql/thrift/TCLIService_types') as any;

const PATH = '/sql/1.0/warehouses/local';
const token = 'dapi-unit';
const auth = { authorization: `Bearer ${token}` };

/** The bytes of one Thrift call, as the driver sends them. */
function call(method: string, req: unknown): Buffer {
  let bytes: Buffer | undefined;
  const client = new TCLIService.Client(new thrift.TBufferedTransport(undefined, (b: Buffer) => { bytes = b; }), thrift.TBinaryProtocol);
  client[`send_${method}`](req);
  return bytes!;
}

/** The response struct of a Thrift reply (field 0 of the result). */
function reply(body: Buffer, type: any): any {
  let input: any;
  thrift.TBufferedTransport.receiver((reader: unknown) => { input = new thrift.TBinaryProtocol(reader); })(body);
  const message = input.readMessageBegin();
  expect(message.mtype).to.equal(thrift.Thrift.MessageType.REPLY);
  input.readStructBegin();
  expect(input.readFieldBegin().fid).to.equal(0);
  const out = new type();
  out.read(input);
  return out;
}

describe('local warehouse endpoint HTTP contract', () => {
  let app: FastifyInstance;
  const statements: string[] = [];
  const spark = {
    async sql(statement: string) {
      statements.push(statement);
      if (statement.includes('no_such_table')) throw new SparkStatementError('The table cannot be found.', 'TABLE_OR_VIEW_NOT_FOUND', '42P01');
      return { columns: [{ name: 'n', type: 'int' }, { name: 's', type: 'string' }], rows: [{ n: 7, s: null }] };
    },
  } as unknown as SparkClient;

  before(async () => {
    app = warehouseApp({ spark, token });
    await app.ready();
  });

  after(() => app.close());

  it('refuses a missing or wrong token with 403 and the reason header, on any path', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }]) {
      for (const url of [PATH, '/elsewhere']) {
        const res = await app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'application/x-thrift' }, payload: Buffer.from('x') });
        expect(res.statusCode, url).to.equal(403);
        expect(res.headers['x-databricks-reason-phrase']).to.equal('Invalid access token.');
        expect(res.json()).to.deep.equal({ error_code: '403', message: 'Invalid access token.' });
      }
    }
  });

  it('answers other paths, other methods and undecodable URLs with 404 RESOURCE_DOES_NOT_EXIST', async () => {
    for (const [method, url] of [['GET', PATH], ['POST', '/sql/1.0/warehouses/other'], ['GET', '/%zz'], ['POST', `${PATH}/%E0%A4%A`]] as const) {
      const res = await app.inject({ method, url, headers: { ...auth, 'content-type': 'application/x-thrift' }, ...(method === 'POST' ? { payload: Buffer.from('x') } : {}) });
      expect([res.statusCode, res.json().error_code], `${method} ${url}`).to.deep.equal([404, 'RESOURCE_DOES_NOT_EXIST']);
      expect(res.headers['content-type']).to.equal('application/json');
    }
  });

  it('maps fastify\'s own refusals: 413 REQUEST_LIMIT_EXCEEDED past the body limit, 400 for another body', async () => {
    const big = await app.inject({ method: 'POST', url: PATH, headers: { ...auth, 'content-type': 'application/x-thrift' }, payload: Buffer.alloc(64 * 1024 * 1024 + 1) });
    expect([big.statusCode, big.json().error_code]).to.deep.equal([413, 'REQUEST_LIMIT_EXCEEDED']);
    const json = await app.inject({ method: 'POST', url: PATH, headers: { ...auth, 'content-type': 'application/json' }, payload: '{}' });
    expect(json.statusCode).to.equal(400);
    expect(json.body).to.match(/^not a Thrift TCLIService call/);
    const garbage = await app.inject({ method: 'POST', url: PATH, headers: { ...auth, 'content-type': 'application/x-thrift' }, payload: Buffer.from('not thrift at all') });
    expect(garbage.statusCode).to.equal(400);
    expect(garbage.body).to.match(/^not a Thrift TCLIService call/);
  });

  it('serves Thrift calls: a session, a statement as direct results, a SQL error as ERROR_STATE', async () => {
    const post = (payload: Buffer) => app.inject({ method: 'POST', url: PATH, headers: { ...auth, 'content-type': 'application/x-thrift' }, payload });
    const open = await post(call('OpenSession', new T.TOpenSessionReq({ client_protocol: T.TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8 })));
    expect([open.statusCode, open.headers['content-type']]).to.deep.equal([200, 'application/x-thrift']);
    const session = reply(open.rawPayload, T.TOpenSessionResp);
    expect(session.status.statusCode).to.equal(T.TStatusCode.SUCCESS_STATUS);

    const direct = new T.TSparkGetDirectResults({ maxRows: 1000 });
    const ok = reply((await post(call('ExecuteStatement', new T.TExecuteStatementReq({ sessionHandle: session.sessionHandle, statement: 'SELECT 7 AS n', getDirectResults: direct })))).rawPayload, T.TExecuteStatementResp);
    expect(ok.directResults.operationStatus.operationState).to.equal(T.TOperationState.FINISHED_STATE);
    const [n, s] = ok.directResults.resultSet.results.columns;
    expect(n.i32Val.values).to.deep.equal([7]);
    expect([...s.stringVal.nulls]).to.deep.equal([1]);

    const failed = reply((await post(call('ExecuteStatement', new T.TExecuteStatementReq({ sessionHandle: session.sessionHandle, statement: 'SELECT * FROM no_such_table', getDirectResults: direct })))).rawPayload, T.TExecuteStatementResp);
    expect(failed.directResults.operationStatus.operationState).to.equal(T.TOperationState.ERROR_STATE);
    expect(failed.directResults.operationStatus.errorMessage).to.include('TABLE_OR_VIEW_NOT_FOUND');

    // Without direct results: an operation to poll, then fetch (as the connectors do for async execution).
    const started = reply((await post(call('ExecuteStatement', new T.TExecuteStatementReq({ sessionHandle: session.sessionHandle, statement: 'SELECT 8 AS n', runAsync: true })))).rawPayload, T.TExecuteStatementResp);
    expect(started.directResults).to.equal(null);
    const polled = reply((await post(call('GetOperationStatus', new T.TGetOperationStatusReq({ operationHandle: started.operationHandle })))).rawPayload, T.TGetOperationStatusResp);
    expect([T.TOperationState.RUNNING_STATE, T.TOperationState.FINISHED_STATE]).to.include(polled.operationState);
    const fetched = reply((await post(call('FetchResults', new T.TFetchResultsReq({ operationHandle: started.operationHandle, orientation: T.TFetchOrientation.FETCH_NEXT, maxRows: 100, includeResultSetMetadata: true })))).rawPayload, T.TFetchResultsResp);
    expect(fetched.results.columns[0].i32Val.values).to.deep.equal([7]);
    expect(fetched.resultSetMetadata.resultFormat).to.equal(T.TSparkRowSetType.COLUMN_BASED_SET);
    const closed = reply((await post(call('CloseOperation', new T.TCloseOperationReq({ operationHandle: started.operationHandle })))).rawPayload, T.TCloseOperationResp);
    expect(closed.status.statusCode).to.equal(T.TStatusCode.SUCCESS_STATUS);
    const gone = reply((await post(call('GetOperationStatus', new T.TGetOperationStatusReq({ operationHandle: started.operationHandle })))).rawPayload, T.TGetOperationStatusResp);
    expect(gone.status.statusCode).to.equal(T.TStatusCode.ERROR_STATUS);

    // A client that reads Arrow gets the schema and a record batch that read back as the rows.
    const arrow = reply((await post(call('ExecuteStatement', new T.TExecuteStatementReq({ sessionHandle: session.sessionHandle, statement: 'SELECT 9 AS n', getDirectResults: direct, canReadArrowResult: true })))).rawPayload, T.TExecuteStatementResp);
    expect(arrow.directResults.resultSetMetadata.resultFormat).to.equal(T.TSparkRowSetType.ARROW_BASED_SET);
    const table = tableFromIPC(Buffer.concat([arrow.directResults.resultSetMetadata.arrowSchema, ...arrow.directResults.resultSet.results.arrowBatches.map((b: { batch: Buffer }) => b.batch)]));
    expect(table.toArray().map((r) => r.toJSON())).to.deep.equal([{ n: 7, s: null }]);
    expect(statements).to.deep.equal(['SELECT 7 AS n', 'SELECT * FROM no_such_table', 'SELECT 8 AS n', 'SELECT 9 AS n']);
  });
});

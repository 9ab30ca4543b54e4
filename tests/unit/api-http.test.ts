// The ingestion API's HTTP contract without a socket or a broker (fastify's inject): fastify's own errors
// (unknown route, bad percent-encoding, oversized body, wrong method) come back in the REST Proxy's shape,
// content types are judged before the body, API keys are checked, and /metrics is Prometheus text.
import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { apiApp } from '../../src/api/server.ts';
import { ApiMetrics } from '../../src/api/metrics.ts';
import { apiSchema } from '../../src/config/schema.ts';
import { KafkaGateway } from '../../src/kafka/producer.ts';

describe('ingestion API HTTP contract', () => {
  let app: FastifyInstance;
  let keyed: FastifyInstance;
  const gateway = new KafkaGateway({ brokers: ['127.0.0.1:1'] }, { maxInflight: 10 });

  before(async () => {
    const base = { apiKeys: ['k1'], brokers: ['127.0.0.1:1'], tables: {}, log: () => {} };
    app = apiApp({ ...base, settings: apiSchema.parse({ max_request_bytes: 2048 }) }, gateway, new ApiMetrics(() => gateway.inflight));
    keyed = apiApp({ ...base, settings: apiSchema.parse({ require_api_key: true }) }, gateway, new ApiMetrics(() => gateway.inflight));
    await Promise.all([app.ready(), keyed.ready()]);
  });

  after(async () => {
    await Promise.all([app.close(), keyed.close()]);
    await gateway.close();
  });

  const call = async (a: FastifyInstance, method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', url: string, headers: Record<string, string> = {}, payload?: string | Buffer) => {
    const res = await a.inject({ method, url, headers, ...(payload !== undefined ? { payload } : {}) });
    return { status: res.statusCode, body: res.json() as Record<string, unknown>, type: res.headers['content-type'], headers: res.headers };
  };

  it('answers unknown routes with 404 and wrong methods with 405, in the REST Proxy\'s shape', async () => {
    expect(await call(app, 'GET', '/nothing/here')).to.deep.include({ status: 404, body: { error_code: 404, message: 'HTTP 404 Not Found' } });
    const put = await call(app, 'PUT', '/topics/x.pin');
    expect([put.status, put.body['error_code'], put.type]).to.deep.equal([405, 40501, 'application/vnd.kafka.v2+json']);
    expect((await call(app, 'GET', '/topics/a/b/c')).status).to.equal(405);
  });

  it('refuses bad percent-encoding with 400, never 500', async () => {
    for (const url of ['/topics/%E0%A4%A', '/%zz', '/topics/%']) {
      const res = await call(app, 'POST', url, { 'content-type': 'application/vnd.kafka.json.v2+json' }, '{}');
      expect([res.status, res.body['error_code']], url).to.deep.equal([400, 40001]);
    }
  });

  it('judges the content type before the body (415) and refuses an oversized body (413 41301)', async () => {
    const type = await call(app, 'POST', '/topics/x.pin', { 'content-type': 'text/plain' }, 'x'.repeat(5000));
    expect([type.status, type.body['error_code']]).to.deep.equal([415, 415]);
    const big = await call(app, 'POST', '/topics/x.pin', { 'content-type': 'application/vnd.kafka.json.v2+json' }, JSON.stringify({ records: [{ value: 'x'.repeat(5000) }] }));
    expect([big.status, big.body['error_code']]).to.deep.equal([413, 41301]);
    expect(big.body['message']).to.equal('Request body is larger than the limit of 2048 bytes.');
  });

  it('checks API keys: 401 without one, 403 with a wrong one, before anything else', async () => {
    expect((await call(keyed, 'GET', '/topics')).body).to.deep.equal({ error_code: 40101, message: 'Unauthorized: send your API key in the x-api-key header.' });
    expect((await call(keyed, 'POST', '/topics/x.pin', { 'x-api-key': 'nope', 'content-type': 'text/plain' }, 'x')).status).to.equal(403);
    expect((await call(keyed, 'GET', '/streams', { 'x-api-key': 'nope' })).status).to.equal(403);
  });

  it('serves Prometheus metrics counting the requests and errors above', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).to.equal(200);
    expect(res.headers['content-type']).to.match(/^text\/plain/);
    expect(res.body).to.match(/pinpipe_api_errors_total\{status="415",code="415"\} 1/);
    expect(res.body).to.match(/pinpipe_api_requests_total\{route="produce",status="413"\} 1/);
    expect(res.body).to.include('pinpipe_api_producer_inflight_records 0');
  });

  it('accepts an API Gateway stage before topics/ and streams/ (any one segment by default, or the configured one)', async () => {
    const json = { 'content-type': 'text/plain' };
    // Routed (415 for the content type) with a stage, as at /topics itself.
    for (const url of ['/topics/x.pin', '/dev/topics/x.pin', '/prod/topics/x.pin?a=1']) expect((await call(app, 'POST', url, json, 'x')).status, url).to.equal(415);
    expect((await call(app, 'PUT', '/dev/topics/x.pin')).status).to.equal(405);
    expect((await call(app, 'GET', '/dev/nothing')).status).to.equal(404);
    expect((await call(app, 'POST', '/a/b/topics/x.pin', json, 'x')).status).to.equal(404);
    expect((await call(keyed, 'GET', '/dev/topics')).status, 'the key check applies with a stage').to.equal(401);
    const base = { apiKeys: [], brokers: ['127.0.0.1:1'], tables: {}, log: () => {} };
    const prodOnly = apiApp({ ...base, settings: apiSchema.parse({ stage: 'prod' }) }, gateway, new ApiMetrics(() => gateway.inflight));
    const none = apiApp({ ...base, settings: apiSchema.parse({ stage: '' }) }, gateway, new ApiMetrics(() => gateway.inflight));
    try {
      expect((await call(prodOnly, 'POST', '/prod/topics/x.pin', json, 'x')).status).to.equal(415);
      expect((await call(prodOnly, 'POST', '/dev/topics/x.pin', json, 'x')).status).to.equal(404);
      expect((await call(none, 'POST', '/dev/topics/x.pin', json, 'x')).status).to.equal(404);
      expect((await call(none, 'POST', '/topics/x.pin', json, 'x')).status).to.equal(415);
    } finally {
      await Promise.all([prodOnly.close(), none.close()]);
    }
  });
});

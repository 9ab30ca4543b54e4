// Talks to a running pinpipe Spark server: one statement per request, named parameters bound by Spark,
// Spark's error class and SQLSTATE carried into the error. Every request carries the server's token.
import http from 'node:http';
import { PinpipeError } from '../../errors.ts';
import type { StatementResult } from '../../sql/result.ts';

export class SparkStatementError extends PinpipeError {
  readonly errorClass: string | null;
  readonly sqlState: string | null;
  readonly sparkMessage: string;

  constructor(sparkMessage: string, errorClass: string | null, sqlState: string | null) {
    super('STATEMENT_FAILED', `spark: statement failed${errorClass ? ` (${errorClass})` : ''}: ${sparkMessage.split('\n').find((l) => l.trim()) ?? sparkMessage}`);
    this.sparkMessage = sparkMessage;
    this.errorClass = errorClass;
    this.sqlState = sqlState;
  }
}

function postJson(port: number, token: string, route: string, body: unknown): Promise<{ status: number; body: any }> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: route, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': payload.length, Authorization: `Bearer ${token}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} });
          } catch (cause) {
            reject(new PinpipeError('STATEMENT_FAILED', `spark: the server answered ${res.statusCode} with a body that is not JSON.`, { cause }));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export class SparkClient {
  constructor(readonly port: number, private readonly token: string) {}

  /**
   * One statement; args are named (`:name` markers) or positional (`?` markers, an array). decimalsAsText:
   * top-level DECIMAL columns come back as text with every digit (the column keeps its decimal type).
   */
  async sql(statement: string, args: Record<string, unknown> | unknown[] = {}, options: { group?: string; maxRows?: number; decimalsAsText?: boolean } = {}): Promise<StatementResult> {
    let res;
    try {
      res = await postJson(this.port, this.token, '/sql', { statement, args, group: options.group ?? '', maxRows: options.maxRows ?? 100_000, decimalsAsText: options.decimalsAsText === true });
    } catch (cause) {
      if (cause instanceof PinpipeError) throw cause;
      throw new PinpipeError('SPARK_START_FAILED', `spark: the local Spark server on port ${this.port} does not answer (SPARK_START_FAILED). Stop it with npx pinpipe spark stop and run again.`, { cause });
    }
    if (res.status !== 200) throw new SparkStatementError(String(res.body.error ?? 'unknown error'), res.body.errorClass ?? null, res.body.sqlState ?? null);
    return res.body as StatementResult;
  }

  async cancel(group: string): Promise<void> {
    await postJson(this.port, this.token, '/cancel', { group });
  }

  async health(): Promise<{ ok: boolean; sparkVersion: string; lake: string } | null> {
    return new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: this.port, path: '/health', timeout: 2000, headers: { Authorization: `Bearer ${this.token}` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch {
            resolve(null);
          }
        });
      });
      req.on('error', () => resolve(null));
      req.on('timeout', () => {
        req.destroy();
        resolve(null);
      });
    });
  }

  async shutdown(): Promise<void> {
    try {
      await postJson(this.port, this.token, '/shutdown', {});
    } catch {
      // already gone
    }
  }
}

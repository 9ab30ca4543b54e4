// The nine queries on a Databricks SQL warehouse through @databricks/sql: the query cells of
// notebooks/queries.sql, with their named parameters bound by the warehouse. Auth comes from the SDK's
// chain (the bearer token it would send), so a profile or DATABRICKS_TOKEN works as for the jobs.
// Connection, authentication and SQL errors are told apart.
import { createRequire } from 'node:module';
import { DBSQLClient, DBSQLLogger, LogLevel } from '@databricks/sql';
import { Config as SdkConfig } from '@databricks/sdk-experimental';
import type { Config } from '../config/index.ts';
import { PinpipeError } from '../errors.ts';
import { jobParameters } from '../job/index.ts';
import { namedParameters, queryCellStatements } from '../notebook/index.ts';
import type { StatementResult } from '../sql/result.ts';

const { TTypeId } = createRequire(import.meta.url)('@databricks/sql/thrift/TCLIService_types') as { TTypeId: Record<string, number | string> };

const TYPE_NAMES = new Map(Object.entries(TTypeId).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v as number, k.toLowerCase()]));

export interface WarehouseTarget {
  /** The host name alone (no scheme, no port). */
  host: string;
  /** The port when the workspace URL names one (443 otherwise). */
  port?: number;
  warehouseId: string;
  token: string;
}

/** The statements of one named query cell of notebooks/queries.sql, with their parameters. */
export function queryStatements(name: string, params: Record<string, string>): { sql: string; args: Record<string, string> }[] {
  return queryCellStatements(name).map((sql) => ({ sql, args: Object.fromEntries(namedParameters(sql).map((n) => [n, params[n] ?? ''])) }));
}

/** Host, warehouse and token of a Databricks target, through the SDK's auth chain. */
export async function warehouseTarget(config: Config): Promise<WarehouseTarget> {
  const t = config.target;
  if (t.kind !== 'databricks') throw new PinpipeError('USAGE', 'query: a warehouse needs a Databricks target (USAGE).');
  if (!t.warehouse_id) {
    throw new PinpipeError('CONFIG_INVALID', `query: target "${config.targetName}" has no warehouse_id (CONFIG_INVALID). Add targets.${config.targetName}.warehouse_id (the id in the warehouse's connection details) to pinpipe.yaml.`);
  }
  const sdk = new SdkConfig({ ...(t.host ? { host: t.host } : {}), ...(t.profile ? { profile: t.profile } : {}) });
  let headers: Headers;
  let url: URL;
  try {
    headers = new Headers();
    await sdk.authenticate(headers);
    url = await sdk.getHost();
  } catch (cause) {
    throw new PinpipeError('AUTH_FAILED', `query: no usable credentials for target "${config.targetName}" (AUTH_FAILED): ${cause instanceof Error ? cause.message : String(cause)}. Set DATABRICKS_TOKEN or a profile.`, { cause });
  }
  const auth = headers.get('authorization') ?? '';
  if (!auth.startsWith('Bearer ')) throw new PinpipeError('AUTH_FAILED', `query: the credentials of target "${config.targetName}" give no bearer token for the SQL warehouse (AUTH_FAILED).`);
  // The driver takes the host name and the port apart (a host with its port would get a second one).
  return { host: url.hostname, ...(url.port ? { port: Number(url.port) } : {}), warehouseId: t.warehouse_id, token: auth.slice('Bearer '.length) };
}

function classify(e: unknown, where: string): PinpipeError {
  const err = e as { name?: string; message?: string; code?: string; statusCode?: number; response?: { status?: number }; cause?: unknown };
  const message = err?.message ?? String(e);
  const status = err?.statusCode ?? err?.response?.status ?? Number(/\b(401|403)\b/.exec(message)?.[1] ?? 0);
  if (err?.name === 'AuthenticationError' || status === 401 || status === 403) {
    return new PinpipeError('AUTH_FAILED', `query: ${where} refused the credentials (AUTH_FAILED${status ? `, HTTP ${status}` : ''}): ${message}. Check DATABRICKS_TOKEN or the profile, and that the token may use the warehouse.`, { cause: e });
  }
  const codes = [err?.code, (err?.cause as { code?: string } | undefined)?.code].filter(Boolean).join(' ');
  if (err?.name === 'FetchError' || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EPROTO|socket hang up/.test(`${codes} ${message}`)) {
    return new PinpipeError('HOST_UNREACHABLE', `query: cannot reach ${where} (HOST_UNREACHABLE): ${message}. Check the host and the network.`, { cause: e });
  }
  return new PinpipeError('SQL_FAILED', `query: the warehouse refused the statement (SQL_FAILED): ${message}`, { cause: e });
}

export class Warehouse {
  // The driver logs to stdout by default; stdout is for results.
  private client = new DBSQLClient({ logger: new DBSQLLogger({ level: LogLevel.error }) });
  private session: Awaited<ReturnType<DBSQLClient['openSession']>> | null = null;
  private readonly target: WarehouseTarget & { port?: number; checkServerCertificate?: boolean };

  constructor(target: WarehouseTarget & { port?: number; checkServerCertificate?: boolean }) {
    this.target = target;
  }

  get where(): string {
    return `${this.target.host} (warehouse ${this.target.warehouseId})`;
  }

  async open(): Promise<void> {
    try {
      await this.client.connect({
        host: this.target.host,
        ...(this.target.port ? { port: this.target.port } : {}),
        path: `/sql/1.0/warehouses/${this.target.warehouseId}`,
        token: this.target.token,
        socketTimeout: 60_000,
        ...(this.target.checkServerCertificate === false ? { checkServerCertificate: false } : {}),
      } as Parameters<DBSQLClient['connect']>[0]);
      this.session = await this.client.openSession();
      // As the notebooks do: years of timestamps are taken in UTC, whatever the warehouse's time zone.
      await (await this.session.executeStatement("SET TIME ZONE 'UTC'")).close();
    } catch (e) {
      throw classify(e, this.where);
    }
  }

  async run(statement: string, args: Record<string, string>): Promise<StatementResult> {
    if (!this.session) await this.open();
    try {
      const op = await this.session!.executeStatement(statement, { namedParameters: args });
      const rows = (await op.fetchAll()) as Record<string, unknown>[];
      const schema = await op.getSchema();
      await op.close();
      // The schema gives Thrift type ids (numbers); the Arrow writer takes their names (int_type, ...).
      const columns = (schema?.columns ?? []).map((c) => {
        const id = c.typeDesc.types[0]?.primitiveEntry?.type;
        return { name: c.columnName, type: (id === undefined ? 'string_type' : TYPE_NAMES.get(Number(id)) ?? 'string_type') };
      });
      return { columns, rows, rowCount: rows.length, truncated: false };
    } catch (e) {
      throw classify(e, this.where);
    }
  }

  async close(): Promise<void> {
    await this.session?.close().catch(() => {});
    await this.client.close().catch(() => {});
  }
}

/** Runs named queries on the target's warehouse. */
export async function runWarehouseQueries(config: Config, names: string[], target?: WarehouseTarget & { port?: number; checkServerCertificate?: boolean }): Promise<Map<string, StatementResult>> {
  const wh = new Warehouse(target ?? (await warehouseTarget(config)));
  const params = jobParameters(config, config.landingRoot);
  const out = new Map<string, StatementResult>();
  try {
    for (const name of names) {
      let last: StatementResult | null = null;
      for (const s of queryStatements(name, params)) last = await wh.run(s.sql, s.args);
      out.set(name, last!);
    }
  } finally {
    await wh.close();
  }
  return out;
}

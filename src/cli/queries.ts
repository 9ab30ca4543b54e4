// The nine queries on a target, for `query` and `dashboard`: the query cells of the generated queries
// notebook, with their table parameters, run by the target's SQL runner (the local Spark or a SQL warehouse).
import type { Config } from '../config/index.ts';
import { PinpipeError } from '../errors.ts';
import { jobParameters } from '../job/index.ts';
import type { StatementResult } from '../sql/result.ts';
import { targetOf } from '../target.ts';
import { queryStatements } from '../warehouse/warehouse.ts';

/** Runs the named queries; an aborted signal (Ctrl-C) closes the runner, stopping a Spark it started. */
export async function runQueries(config: Config, names: readonly string[], log: (line: string) => void, signal?: AbortSignal): Promise<Map<string, StatementResult>> {
  const target = targetOf(config);
  const params = jobParameters(config, target.landing.root);
  const runner = await target.sql(log);
  const results = new Map<string, StatementResult>();
  const stop = () => { void runner.close(); };
  signal?.addEventListener('abort', stop);
  try {
    log(`query: running ${names.length} quer${names.length === 1 ? 'y' : 'ies'} on ${runner.where}`);
    for (const name of names) {
      let last: StatementResult | null = null;
      for (const s of queryStatements(name, params)) last = await runner.run(s.sql, s.args);
      results.set(name, last!);
    }
  } catch (e) {
    if (signal?.aborted) throw new PinpipeError('RUN_CANCELLED', 'query: cancelled (RUN_CANCELLED).', { cause: e });
    throw e;
  } finally {
    signal?.removeEventListener('abort', stop);
    await runner.close();
  }
  return results;
}

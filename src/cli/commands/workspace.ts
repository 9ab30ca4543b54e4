// `pinpipe workspace start|stop|status|serve`: the local workspace, the Databricks REST API on this machine
// running jobs on the local Spark. Commands on the local target start it when needed.
import { localToken, ensureWorkspace, findWorkspace, forgetRunning, recordRunning, stopWorkspace, tlsDir, tokenFile, workspaceSchedules, workspaceStateDir } from '../../local/workspace/daemon.ts';
import type { MissedTriggers, ScheduleView } from '../../local/workspace/scheduler.ts';
import { startWorkspaceServer } from '../../local/workspace/server.ts';
import { command, usageError } from '../command.ts';
import { untilStopped } from '../signals.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace('.000Z', 'Z'));

function scheduleJson(s: { schedules: ScheduleView[]; missed: MissedTriggers[] }) {
  return {
    schedules: s.schedules.map((x) => ({ ...x, next_trigger: iso(x.next_trigger), last_trigger: iso(x.last_trigger) })),
    missed: s.missed.map((m) => ({ ...m, first: iso(m.first), last: iso(m.last) })),
  };
}

/** The schedules, one line each, and what was missed while stopped. */
function scheduleText(s: { schedules: ScheduleView[]; missed: MissedTriggers[] }): string {
  if (!s.schedules.length) return 'schedules: none (no deployed job has a schedule)\n';
  const width = Math.max(...s.schedules.map((x) => x.name.length));
  const lines = s.schedules.map((x) => `  ${x.name.padEnd(width)}  ${x.quartz_cron_expression} (${x.timezone_id})  ${x.pause_status === 'PAUSED' ? 'PAUSED' : x.next_trigger === null ? 'no further trigger' : `next ${iso(x.next_trigger)}`}${x.last_trigger === null ? '' : `, last ${iso(x.last_trigger)}`}`);
  const missed = s.missed.map((m) => `  ${m.name}: ${m.count} trigger(s) missed while stopped (${iso(m.first)} .. ${iso(m.last)}), not caught up`);
  return `schedules:\n${lines.join('\n')}\n${missed.length ? `missed:\n${missed.join('\n')}\n` : ''}`;
}

export default command({
  name: 'workspace',
  usage: ['workspace start|stop|status|serve [--port N] [--json]'],
  about: [
    'The local workspace: the Databricks REST API (workspace, jobs, runs, dashboards) on this machine, running',
    'jobs on the local Spark; state in <lake>/_workspace. Commands on the local target start it when needed.',
    'serve runs it in the foreground (start runs serve in the background). It triggers the jobs whose schedule is',
    'unpaused (targets.local.development: false deploys them unpaused) on their Quartz cron while it runs; status',
    'lists each schedule\'s next trigger and the triggers missed while it was stopped (not caught up, as on Databricks).',
  ],
  flags: {
    port: { type: 'port', help: 'the port serve listens on (default targets.local.workspace.port, 0: any)' },
    json: { type: 'boolean', help: 'status as JSON for scripts: {"host", "token_file", "schedules", "missed"} (null when not running)' },
  },
  run: async ({ flags, args: [action], config, log, out }) => {
    const cfg = config();
    if (action === 'start') {
      const ws = await ensureWorkspace(cfg, log);
      out(`${ws.url}\n`);
    } else if (action === 'stop') await stopWorkspace(log);
    else if (action === 'status') {
      const ws = await findWorkspace(cfg.lakeRoot);
      const sched = ws ? await workspaceSchedules(ws) : null;
      if (flags.json === true) out(`${JSON.stringify(ws ? { host: ws.url, token_file: tokenFile(cfg.lakeRoot), ...(sched ? scheduleJson(sched) : {}) } : null)}\n`);
      else out(ws ? `running at ${ws.url} (pid ${ws.pid}) for ${ws.lake}\n${sched ? scheduleText(sched) : 'schedules: unknown (a workspace started before local schedules: stop it and start it again)\n'}` : 'not running\n');
    } else if (action === 'serve') {
      if (cfg.target.kind !== 'local') usageError('pinpipe workspace serve: the local workspace serves the local target (USAGE).');
      const server = await startWorkspaceServer({
        stateDir: workspaceStateDir(cfg.lakeRoot),
        lakeRoot: cfg.lakeRoot,
        spark: cfg.spark,
        token: localToken(cfg.lakeRoot),
        port: flags.port ?? cfg.target.workspace.port,
        maxParallelTasks: cfg.target.workspace.max_parallel_tasks,
        shareSpark: true,
        warehouse: { tlsDir: tlsDir(cfg.lakeRoot) },
        log: (l) => log(`${new Date().toISOString()} ${l}`),
      });
      recordRunning({ url: server.url, lake: cfg.lakeRoot, pid: process.pid, token: '', warehouse: server.warehouse });
      log(`PINPIPE_WORKSPACE_READY url=${server.url} lake=${cfg.lakeRoot}`);
      await untilStopped();
      log('workspace: stopping');
      await server.close();
      forgetRunning(process.pid);
      // Nothing else of this process matters once the server is closed (as a daemon, it had no other work).
      process.exit(0);
    } else usageError('pinpipe workspace: say start, stop, status or serve (USAGE).');
  },
});

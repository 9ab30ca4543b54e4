// A parent for the service tests: starts a long-running service attached to itself (a node process that
// prints a ready line and then idles), prints `SERVICE <pid>` with the service's pid, then waits for the
// test to kill it (with SIGKILL, so no exit hook of its own runs).
import { startService } from '../../src/local/service.ts';

const service = await startService({
  name: 'test-parent-child',
  command: process.execPath,
  args: ['-e', "console.log('READY'); setInterval(() => {}, 1000)"],
  ready: { line: /^READY$/ },
  timeoutMs: 20_000,
});
console.log(`SERVICE ${service.pid}`);
setInterval(() => {}, 1000);

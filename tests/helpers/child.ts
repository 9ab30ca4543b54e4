// Waiting on child processes without hanging: an 'exit' listener added after the child ended never fires.
import type { ChildProcess } from 'node:child_process';

/** Resolves once the child has ended, at once if it already has (an 'exit' listener added later never fires). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

/** Children the test signalled itself (their end is expected). */
export const signalled = new WeakSet<ChildProcess>();

/** SIGKILL, resolved once the child has ended. */
export async function killed(child: ChildProcess): Promise<void> {
  signalled.add(child);
  const done = exited(child);
  child.kill('SIGKILL');
  await done;
}

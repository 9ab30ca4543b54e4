// What service.ts needs to supervise processes safely: the identity of a process (so a reused pid is never
// signalled) and the watchdog that ends an attached service when the process that started it dies, even
// by kill -9.
//
// Identity. A pid names a process only while that process lives. After it ends, the kernel hands the
// number out again (pid_max is often 32768). So a process is named by three things: its pid, its command
// line (/proc/<pid>/cmdline) and its start time (field 22 of /proc/<pid>/stat, in clock ticks since
// boot). Two processes never share all three. A zombie counts as ended: it no longer runs, and its
// cmdline reads as empty. Only the instant between the check and the signal is left open, because Node
// has no pidfd to close it.
//
// Watchdog. An attached service is spawned as `sh -c WATCHDOG pinpipe-watchdog <grace> <command> <args>`,
// with one extra stdio entry, fd 3: a pipe from this process that this process never writes. The shell
// forks a watcher and then execs the service in its own place, so the child's pid is the service's pid.
// Its stdout (the ready line), stderr, log file, exit code and signals stay exactly as a direct spawn
// gives them, and kill() signals the service itself. The watcher blocks reading fd 3. It reaches end of
// file when this process ends (the kernel closes the pipe even on SIGKILL) or when this process closes
// the pipe after the service exited. It then checks whether it is still the child of the service (a
// parent's pid never changes while the parent lives, so this tells whether the pid is still the
// service's). If it is, it sends SIGTERM to the service, waits up to <grace> seconds and then sends
// SIGKILL. If it is not, the service has already ended and the watcher just exits. It never writes to
// the service's output (its own stdio is /dev/null). It ignores SIGINT and SIGQUIT, as any background
// job of a non-interactive sh does, so a Ctrl-C reaches the service and this process as before. It costs
// one dash process (about 1 MB), where a Node watchdog costs about 40 MB. Why not a background service
// and a waiting shell: POSIX sh starts background jobs with SIGINT and SIGQUIT ignored, and dash cannot
// reset that, so a JVM started that way would ignore Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';

export interface ProcessIdentity {
  pid: number;
  cmdline: string;
  /** Field 22 of /proc/<pid>/stat: clock ticks since boot at which the process started. */
  started: number;
}

/** The fields of /proc/<pid>/stat after the command name; [0] is field 3 (state), [19] is field 22 (start time). */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The running process with this pid (not a zombie), or null. */
export function identify(pid: number): ProcessIdentity | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const f = statFields(pid);
  if (!f || f[0] === 'Z' || f[0] === 'X') return null;
  try {
    return { pid, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8'), started: Number(f[19]) };
  } catch {
    return null;
  }
}

/** True while the process runs; false once it ended, even while it is still an unreaped zombie. */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const f = statFields(pid);
  return !(f && (f[0] === 'Z' || f[0] === 'X'));
}

/**
 * True when the process recorded (pid, command line, start time) is the one running under that pid now.
 * A record without a start time cannot be checked, so it never matches.
 */
export function sameProcess(record: { pid: number; cmdline: string; started?: number }): boolean {
  if (typeof record.started !== 'number') return false;
  const now = identify(record.pid);
  return now !== null && now.cmdline === record.cmdline && now.started === record.started;
}

/** Sends a signal to the recorded process only if it is still that process; true when it was sent. */
export function signalProcess(record: ProcessIdentity, signal: NodeJS.Signals): boolean {
  if (!sameProcess(record)) return false;
  try {
    process.kill(record.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, up to graceMs for it to end, then SIGKILL, each only if the pid still names the recorded process. */
export async function terminateProcess(record: ProcessIdentity, graceMs: number): Promise<void> {
  if (!signalProcess(record, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (sameProcess(record) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  signalProcess(record, 'SIGKILL');
}

// $1 is the grace in whole seconds, and the rest is the service's command. `mine` is true while the
// watcher is still the service's child, that is, while $$ (this shell, which becomes the service by
// exec) has not ended.
const WATCHDOG = `g=$1; shift
(
  trap '' INT QUIT
  mine() { read -r s </proc/self/stat && set -- \${s##*")"} && [ "$2" = "$$" ]; }
  while read -r _ <&3; do :; done
  exec 3<&-
  mine || exit 0
  kill -TERM $$
  i=0
  while mine && [ "$i" -lt $((g * 10)) ]; do sleep 0.1; i=$((i + 1)); done
  if mine; then kill -KILL $$; fi
) </dev/null >/dev/null 2>&1 &
exec "$@" 3<&-`;

/** How fds 0 to 2 of a service are given: not at all, a pipe to this process, or an open file. */
export type StdioEntry = 'ignore' | 'pipe' | number;

/**
 * Spawns command so that it ends within graceS seconds (SIGTERM, then SIGKILL) after this process dies.
 * The child's pid is the command's own pid. stdio gives fds 0 to 2, and fd 3 is the watchdog's pipe.
 */
export function spawnWatched(command: string, args: string[], stdio: StdioEntry[], graceS: number, env?: NodeJS.ProcessEnv): ChildProcess {
  const child: ChildProcess = spawn('/bin/sh', ['-c', WATCHDOG, 'pinpipe-watchdog', String(Math.max(1, Math.round(graceS))), command, ...args], { stdio: [...stdio.slice(0, 3), 'pipe'] satisfies StdioEntry[], ...(env ? { env } : {}) });
  const lifeline = child.stdio[3] as Duplex | null;
  lifeline?.on('error', () => {});
  // Closing our end after the service exited lets its watcher see end of file and exit too.
  child.once('exit', () => lifeline?.destroy());
  return child;
}

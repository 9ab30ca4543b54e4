// The CLI's process handlers, the only ones the project installs: Ctrl-C and SIGTERM for long-running
// commands (services stop cleanly, a job run is cancelled). Library code gets an AbortSignal or a stop call.

/** Resolves on the first SIGINT or SIGTERM (a service command then stops cleanly). */
export function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** An AbortSignal aborted by Ctrl-C while `fn` runs (a job run is then cancelled, not left running). */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  process.on('SIGINT', abort);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', abort);
  }
}

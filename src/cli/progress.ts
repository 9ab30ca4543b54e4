// Progress of long work, drawn by the CLI only: a bar (cli-progress) on a terminal, a line every few seconds
// otherwise (CI logs, pipes). Library code reports progress through callbacks; this turns them into output.
import cliProgress from 'cli-progress';
import type { EmulateProgress } from '../emulator/emulate.ts';

export interface ProgressView<P> {
  update(progress: P): void;
  stop(): void;
}

/** The emulator's progress: rows picked of the count, records acknowledged and failed, rate, retries. */
export function emulateProgress(log: (line: string) => void, stream: NodeJS.WriteStream = process.stderr): ProgressView<EmulateProgress> {
  const rate = (p: EmulateProgress) => (p.acknowledged / Math.max(p.seconds, 0.001)).toFixed(0);
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream,
      format: 'emulate [{bar}] {value}/{total} rows, {acknowledged} acknowledged, {failed} failed, {rate} records/s, {retries} retries',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
    }, cliProgress.Presets.legacy);
    let started = false;
    return {
      update(p) {
        const payload = { acknowledged: p.acknowledged, failed: p.failed, rate: rate(p), retries: p.retries };
        if (!started) {
          bar.start(p.count, p.rows, payload);
          started = true;
        } else bar.update(p.rows, payload);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let lastAt = 0;
  let last: EmulateProgress | null = null;
  const line = (p: EmulateProgress) => `emulate: ${p.rows}/${p.count} rows, ${p.acknowledged} acknowledged, ${p.failed} failed, ${rate(p)} records/s, ${p.retries} retries`;
  return {
    update(p) {
      last = p;
      const now = Date.now();
      if (now - lastAt >= 2000) {
        lastAt = now;
        log(line(p));
      }
    },
    stop() {
      if (last) log(line(last));
      last = null;
    },
  };
}

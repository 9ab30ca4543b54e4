// The durable files under the local workspace's state: an append-only journal (one JSON line a change,
// fsynced before the change counts) and whole files replaced atomically (temp file, fsync, rename, fsync of
// the folder). Whatever moment a process is killed at, a reader finds either the old or the new file, and a
// journal whose last line may be torn: reading ignores a torn last line and cuts it off before appending.
import { closeSync, constants, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** fsync of a folder, so a rename or a new name in it survives a crash. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, data: Buffer, position: number): void {
  for (let off = 0; off < data.length;) off += writeSync(fd, data, off, data.length - off, position + off);
}

/** Writes a new file durably (the name must be new: a failure removes it). */
export function writeNewFile(file: string, data: Buffer | string): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data, 0);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(file, { force: true });
    throw e;
  }
  closeSync(fd);
  fsyncDir(path.dirname(file));
}

/** Replaces a file atomically: readers see the old or the new content, never a mix, even after kill -9. */
export function replaceFile(file: string, data: Buffer | string): void {
  const tmp = `${file}.tmp`;
  writeNewFile(tmp, data);
  try {
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(path.dirname(file));
}

export class Journal {
  readonly file: string;
  private readonly fd: number;
  /** Bytes of complete lines: where the next line goes. */
  private length: number;
  /** A failed append may have left bytes past `length`: they are cut before the next append. */
  private dirty = false;

  /**
   * Opens (creating) a journal and hands each complete line to `read`, in order. The last line may be torn
   * (no line end, or not readable by `read`): it is ignored and cut off. A bad line before the last is
   * corruption, not a torn write: opening fails with an error naming the line.
   */
  constructor(file: string, read: (line: string) => void) {
    this.file = file;
    const created = !existsSync(file);
    this.fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600);
    if (created) fsyncDir(path.dirname(file));
    const size = fstatSync(this.fd).size;
    const buf = Buffer.alloc(size);
    for (let off = 0; off < size;) {
      const n = readSync(this.fd, buf, off, size - off, off);
      if (!n) break;
      off += n;
    }
    let start = 0;
    let lineNo = 0;
    while (start < size) {
      const end = buf.indexOf(0x0a, start);
      lineNo++;
      if (end < 0) break;
      try {
        read(buf.toString('utf8', start, end));
      } catch (e) {
        if (end + 1 < size) {
          closeSync(this.fd);
          throw new Error(`${file}: line ${lineNo} is not a readable change (${e instanceof Error ? e.message : String(e)}), and lines follow it; the journal is damaged.`);
        }
        break;
      }
      start = end + 1;
    }
    this.length = start;
    if (start < size) {
      ftruncateSync(this.fd, start);
      fsyncSync(this.fd);
    }
  }

  get size(): number {
    return this.length;
  }

  /** Appends one line (text ending in a line end) durably; on failure the journal is as it was. */
  append(line: string): void {
    if (this.dirty) this.cut();
    const data = Buffer.from(line);
    try {
      writeAll(this.fd, data, this.length);
      fsyncSync(this.fd);
    } catch (e) {
      this.dirty = true;
      try {
        this.cut();
      } catch { /* cut again before the next append */ }
      throw e;
    }
    this.length += data.length;
  }

  /** Empties the journal once what it held is durable elsewhere. */
  clear(): void {
    ftruncateSync(this.fd, 0);
    // Whether or not the fsync below succeeds, the old lines are no longer needed: replaying them over the
    // durable snapshot changes nothing.
    this.length = 0;
    this.dirty = false;
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }

  private cut(): void {
    ftruncateSync(this.fd, this.length);
    fsyncSync(this.fd);
    this.dirty = false;
  }
}

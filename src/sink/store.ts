// Where the sink lands objects: a local folder (the lake) here; the same interface serves S3-compatible
// storage. put() returns only once the object is durable: on a folder, the bytes are fsynced under a
// temporary name, renamed into place and the folder fsynced, so a crash leaves either nothing or the
// whole object.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface LandingStore {
  /** Writes an object durably (replacing one of the same key). */
  put(key: string, body: Buffer): Promise<void>;
  /** Keys under a prefix ending in '/', sorted. */
  list(prefix: string): Promise<string[]>;
  get(key: string): Promise<Buffer>;
  describe(): string;
}

export class FolderStore implements LandingStore {
  constructor(readonly root: string) {}

  describe(): string {
    return this.root;
  }

  async put(key: string, body: Buffer): Promise<void> {
    const target = path.join(this.root, key);
    const dir = path.dirname(target);
    mkdirSync(dir, { recursive: true });
    const temp = `${target}.tmp-${process.pid}`;
    const fd = openSync(temp, 'w');
    try {
      let written = 0;
      while (written < body.length) written += writeSync(fd, body, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const dir = path.join(this.root, prefix);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => !f.includes('.tmp')).sort().map((f) => `${prefix}${f}`);
  }

  async get(key: string): Promise<Buffer> {
    return readFileSync(path.join(this.root, key));
  }
}

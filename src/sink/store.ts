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

/** S3 or any S3-compatible storage: an object is durable once PutObject answered. */
export class S3Store implements LandingStore {
  constructor(
    private readonly client: import('@aws-sdk/client-s3').S3Client,
    readonly bucket: string,
    readonly prefix = '',
  ) {}

  describe(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  async put(key: string, body: Buffer): Promise<void> {
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${key}`, Body: body, ContentType: 'application/json' }));
  }

  async list(prefix: string): Promise<string[]> {
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.prefix}${prefix}`, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of page.Contents ?? []) keys.push(o.Key!.slice(this.prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.filter((k) => !k.slice(prefix.length).includes('/')).sort();
  }

  async get(key: string): Promise<Buffer> {
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${key}` }));
    return Buffer.from(await out.Body!.transformToByteArray());
  }
}

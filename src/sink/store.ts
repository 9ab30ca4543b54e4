// Where the sink lands objects: a local folder (the lake) or S3 / any S3-compatible storage. Three promises
// the sink's exactly-once rests on:
// - put() returns only once the object is durable (folder: bytes fsynced under a temporary name, linked into
//   place, the folder fsynced; S3: PutObject answered);
// - put() creates an object only if none has its key (folder: link(2), which fails on an existing name;
//   S3: a conditional write, If-None-Match: *): of two members that land the same records under the same
//   start offset during a rebalance, exactly one writes and the other learns it lost;
// - each object carries, atomically with it, how many Kafka records it holds and the offset after its last
//   one (S3: user metadata of the same PUT; folder: a hidden hard link to the same inode, named with both
//   numbers and created before the object is linked into place). Where landing ends is read from that,
//   never from the object's bytes.
// Hidden names (a leading dot) are ignored by Spark's and Databricks' file readers and by list().
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

/** What an object holds: its Kafka records, and the offset after the last one (offsets may have gaps). */
export interface ObjectMeta {
  records: number;
  next: number;
}

export interface LandingStore {
  /** Writes an object durably unless one of that key exists; false when it existed (nothing written). */
  put(key: string, body: Buffer, meta: ObjectMeta): Promise<boolean>;
  /** The object's metadata, or null when it has none (landed by another tool). */
  meta(key: string): Promise<ObjectMeta | null>;
  /** Keys directly under a prefix ending in '/', hidden and temporary names left out, sorted. */
  list(prefix: string): Promise<string[]>;
  get(key: string): Promise<Buffer>;
  describe(): string;
}

const META_LINK = /^\.(.+)\.meta-(\d+)-(\d+)-[0-9a-f]+$/;

function fsyncPath(p: string, flags = 'r'): void {
  const fd = openSync(p, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function unlinkQuietly(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    // already gone
  }
}

export class FolderStore implements LandingStore {
  constructor(readonly root: string) {}

  describe(): string {
    return this.root;
  }

  async put(key: string, body: Buffer, meta: ObjectMeta): Promise<boolean> {
    const target = path.join(this.root, key);
    const dir = path.dirname(target);
    const name = path.basename(target);
    mkdirSync(dir, { recursive: true });
    const tag = randomBytes(6).toString('hex');
    const temp = path.join(dir, `.${name}.tmp-${process.pid}-${tag}`);
    const metaLink = path.join(dir, `.${name}.meta-${meta.records}-${meta.next}-${tag}`);
    const fd = openSync(temp, 'wx');
    try {
      let written = 0;
      while (written < body.length) written += writeSync(fd, body, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      // The metadata first (a second name of the same inode), then the object: whoever sees the object
      // finds its metadata, and a metadata name whose inode is not the object's is a loser's leftover.
      linkSync(temp, metaLink);
      try {
        linkSync(temp, target);
      } catch (e) {
        unlinkQuietly(metaLink);
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw e;
      }
    } finally {
      unlinkQuietly(temp);
    }
    fsyncPath(dir);
    return true;
  }

  async meta(key: string): Promise<ObjectMeta | null> {
    const target = path.join(this.root, key);
    const dir = path.dirname(target);
    const name = path.basename(target);
    let ino: number;
    try {
      ino = statSync(target).ino;
    } catch {
      return null;
    }
    for (const f of readdirSync(dir)) {
      const m = META_LINK.exec(f);
      if (!m || m[1] !== name) continue;
      const p = path.join(dir, f);
      try {
        if (statSync(p).ino === ino) return { records: Number(m[2]), next: Number(m[3]) };
      } catch {
        continue;
      }
      unlinkQuietly(p);
    }
    return null;
  }

  async list(prefix: string): Promise<string[]> {
    const dir = path.join(this.root, prefix);
    if (!existsSync(dir)) return [];
    // Temporary and metadata names are hidden (a leading dot); any other name is an object, `.tmp` in it or not.
    return readdirSync(dir).filter((f) => !f.startsWith('.')).sort().map((f) => `${prefix}${f}`);
  }

  async get(key: string): Promise<Buffer> {
    return readFileSync(path.join(this.root, key));
  }
}

const RECORDS_META = 'pinpipe-records';
const NEXT_META = 'pinpipe-next-offset';

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

  async put(key: string, body: Buffer, meta: ObjectMeta): Promise<boolean> {
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    try {
      await this.client.send(new PutObjectCommand({
        Bucket: this.bucket, Key: `${this.prefix}${key}`, Body: body, ContentType: 'application/json', IfNoneMatch: '*',
        Metadata: { [RECORDS_META]: String(meta.records), [NEXT_META]: String(meta.next) },
      }));
      return true;
    } catch (e) {
      // 412: the key exists. 409 ConditionalRequestConflict: a concurrent conditional write of the key won.
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || status === 409) return false;
      throw e;
    }
  }

  async meta(key: string): Promise<ObjectMeta | null> {
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${key}` }));
    const records = out.Metadata?.[RECORDS_META];
    const next = out.Metadata?.[NEXT_META];
    if (!records || !next || !/^\d+$/.test(records) || !/^\d+$/.test(next)) return null;
    return { records: Number(records), next: Number(next) };
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
    return keys.filter((k) => { const rest = k.slice(prefix.length); return !rest.includes('/') && !rest.startsWith('.'); }).sort();
  }

  async get(key: string): Promise<Buffer> {
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${key}` }));
    return Buffer.from(await out.Body!.transformToByteArray());
  }
}

// The sink's shapes: its options, its counters, a partition's buffer and where a partition stands.
import type { LandingStore } from './store.ts';
import type { KafkaConnection } from '../kafka/connection.ts';

export interface FlushPolicy {
  records: number;
  bytes: number;
  ageMs: number;
}

export interface SinkOptions {
  brokers: string[];
  /** TLS / SASL for a remote Kafka (see src/kafka/connection.ts). */
  connection?: KafkaConnection;
  topics: string[];
  groupId: string;
  store: LandingStore;
  flush: FlushPolicy;
  log?: (line: string) => void;
}

export interface SinkStats {
  files: number;
  records: number;
  skipped: number;
  /** Records landed in the unreadable wrapper (their value was not JSON and held a line break). */
  unreadable: number;
  /** Writes that found their key taken by another member (nothing written, the partition taken up again). */
  conflicts: number;
}

export interface Buffered {
  start: number;
  next: number;
  lines: Buffer[];
  bytes: number;
  since: number;
}

/**
 * Where a partition stands. `next`: one past the offset of the last landed record, known exactly once a
 * record past the landed ones has been seen. Until then (`resume`), records before `start` are in earlier
 * objects and the first `skip` records from `start` on are in the last object.
 */
export type Position = { next: number } | { resume: { start: number; skip: number; reached: boolean; sought: boolean; mark: number } };

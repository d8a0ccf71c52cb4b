import { join } from 'node:path';
import { ErrorCode, FerryError } from '../common/errors.ts';
import type { FileSystem } from '../storage/types.ts';
import type { ProducerStateTable } from './producer-state.ts';

/**
 * A partition's applied producer state, written on a clean close and every
 * `producerStateSnapshotIntervalMs` while it changes, as
 * `<dataDir>/__cluster_metadata/producer-state/<topicId>-<partition>.json`. Keyed by topic id, not
 * name, so a topic deleted and created again never inherits the old one's producers; kept out of
 * the log directory, which belongs to storage. `endOffset` is the high watermark the state
 * covers; after an unclean stop the batches from there to the log end are replayed from their
 * headers (producer-state-recovery.ts).
 */
export const PRODUCER_STATE_DIR = 'producer-state';
const SNAPSHOT_VERSION = 1;
const SNAPSHOT_FILE = /^([0-9a-f]{32})-(\d+)\.json$/;

/** [firstSeq, lastSeq, baseOffset, lastOffset] */
export type SnapshotBatch = [number, number, number, number];

export interface SnapshotProducer {
  producerId: number;
  epoch: number;
  lastSeq: number;
  lastTimestampMs: number;
  /** The cached batches of `epoch`, oldest first; may be empty. */
  batches: SnapshotBatch[];
}

export interface ProducerSnapshot {
  version: number;
  endOffset: number;
  producers: SnapshotProducer[];
}

export function producerSnapshotDir(metadataDir: string): string {
  return join(metadataDir, PRODUCER_STATE_DIR);
}

export function producerSnapshotName(topicId: string, partition: number): string {
  return `${topicId}-${partition}.json`;
}

/** The topic id and partition a snapshot file name names, or null for anything else. */
export function parseProducerSnapshotName(name: string): { topicId: string; partition: number } | null {
  const match = SNAPSHOT_FILE.exec(name);
  return match === null ? null : { topicId: match[1]!, partition: Number(match[2]) };
}

export function encodeSnapshot(table: ProducerStateTable, endOffset: number): Buffer {
  const producers: SnapshotProducer[] = [];
  for (const entry of table.appliedEntries()) {
    const batches: SnapshotBatch[] = [];
    for (const batch of entry.batches) {
      if (batch.pending === null && batch.epoch === entry.appliedEpoch) {
        batches.push([batch.firstSeq, batch.lastSeq, batch.baseOffset, batch.lastOffset]);
      }
    }
    producers.push({
      producerId: entry.producerId,
      epoch: entry.appliedEpoch,
      lastSeq: entry.appliedLastSeq,
      lastTimestampMs: entry.lastTimestampMs,
      batches,
    });
  }
  const snapshot: ProducerSnapshot = { version: SNAPSHOT_VERSION, endOffset, producers };
  return Buffer.from(JSON.stringify(snapshot));
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function corrupt(reason: string): FerryError {
  return new FerryError(ErrorCode.CORRUPT_MESSAGE, `producer state snapshot is invalid: ${reason}`);
}

/** Parses and checks a snapshot; CORRUPT_MESSAGE for anything malformed. */
export function decodeSnapshot(data: Buffer): ProducerSnapshot {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    throw corrupt('not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw corrupt('not an object');
  const { version, endOffset, producers } = parsed as Record<string, unknown>;
  if (version !== SNAPSHOT_VERSION) throw corrupt(`version ${String(version)}`);
  if (!isInteger(endOffset) || endOffset < 0) throw corrupt('endOffset');
  if (!Array.isArray(producers)) throw corrupt('producers');
  for (const producer of producers as unknown[]) {
    const p = producer as Record<string, unknown> | null;
    if (p === null || typeof p !== 'object') throw corrupt('producer entry');
    if (!isInteger(p.producerId) || !isInteger(p.epoch) || !isInteger(p.lastSeq) || !isInteger(p.lastTimestampMs)) {
      throw corrupt('producer fields');
    }
    if (!Array.isArray(p.batches)) throw corrupt('producer batches');
    for (const batch of p.batches as unknown[]) {
      if (!Array.isArray(batch) || batch.length !== 4 || !batch.every(isInteger)) throw corrupt('batch');
    }
  }
  return parsed as ProducerSnapshot;
}

export async function writeSnapshot(fs: FileSystem, path: string, table: ProducerStateTable, endOffset: number): Promise<void> {
  const data = encodeSnapshot(table, endOffset);
  table.isDirty = false;
  try {
    await fs.writeFileAtomic(path, data);
  } catch (error) {
    table.isDirty = true;
    throw error;
  }
}

import { join } from 'node:path';
import { ErrorCode, FerryError } from '../common/errors.ts';
import type { FileSystem } from '../storage/types.ts';
import type { ProducerStateTable } from './producer-state.ts';

/**
 * A partition's applied producer state, written next to its log as `producer-state.json`: on a
 * clean close, and every `producerStateSnapshotIntervalMs` while it changes. `endOffset` is the
 * high watermark the state covers; after an unclean stop the batches from there to the log end
 * are replayed from their headers (producer-state-recovery.ts).
 */
export const PRODUCER_STATE_FILE = 'producer-state.json';
const SNAPSHOT_VERSION = 1;

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

export function snapshotPath(logDir: string): string {
  return join(logDir, PRODUCER_STATE_FILE);
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

export async function writeSnapshot(fs: FileSystem, logDir: string, table: ProducerStateTable, endOffset: number): Promise<void> {
  const data = encodeSnapshot(table, endOffset);
  table.isDirty = false;
  try {
    await fs.writeFileAtomic(snapshotPath(logDir), data);
  } catch (error) {
    table.isDirty = true;
    throw error;
  }
}

import { toFerryError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { BATCH_HEADER_BYTES, BatchField, batchBaseOffset, batchSizeBytes, readInt64 } from '../common/record-batch-header.ts';
import type { FileSystem, PartitionLog } from '../storage/types.ts';
import { lastSequenceOf, type ProducerStateLimits, ProducerStateTable } from './producer-state.ts';
import { decodeSnapshot, type ProducerSnapshot } from './producer-state-snapshot.ts';

/** Bytes read per step while replaying the log tail. */
const SCAN_CHUNK_BYTES = 1024 * 1024;

export interface LoadProducerStateOptions {
  log: PartitionLog;
  /** Where the partition's snapshot is (producer-state-snapshot.ts). */
  snapshotPath: string;
  fs: FileSystem;
  logger: Logger;
  limits: ProducerStateLimits;
  nowMs: number;
}

/**
 * Rebuilds a partition's producer state at open: the last snapshot, then the headers of every
 * batch from the snapshot's end offset to the log end (after a clean close that is nothing;
 * after an unclean stop, at most one snapshot interval of appends). Without a snapshot the whole
 * log is scanned. Records are never decoded: producer id, epoch and sequences are in the header.
 */
export async function loadProducerState(options: LoadProducerStateOptions): Promise<ProducerStateTable> {
  const { log, logger } = options;
  const table = new ProducerStateTable(options.limits);
  if (log.isOffline) return table;
  const snapshot = await readSnapshot(options.fs, options.snapshotPath, logger);
  let scanFrom = log.logStartOffset;
  if (snapshot !== null) {
    for (const producer of snapshot.producers) {
      table.restore({
        producerId: producer.producerId,
        epoch: producer.epoch,
        lastSeq: producer.lastSeq,
        lastTimestampMs: producer.lastTimestampMs,
        batches: producer.batches.map(([firstSeq, lastSeq, baseOffset, lastOffset]) => ({
          epoch: producer.epoch,
          firstSeq,
          lastSeq,
          baseOffset,
          lastOffset,
          pending: null,
        })),
      });
    }
    if (snapshot.endOffset > log.logEndOffset) {
      // Recovery cut the log below what the snapshot saw (a torn tail after a power cut).
      logger.warn(
        { snapshotEndOffset: snapshot.endOffset, logEndOffset: log.logEndOffset },
        'producer state snapshot is ahead of the log; dropping the batches the log lost',
      );
      table.truncateFrom(log.logEndOffset);
      scanFrom = log.logEndOffset;
    } else {
      scanFrom = Math.max(snapshot.endOffset, log.logStartOffset);
    }
  }
  try {
    const replayed = await replayTail(log, table, scanFrom, options.nowMs);
    if (replayed > 0) logger.info({ fromOffset: scanFrom, batches: replayed }, 'producer state rebuilt from the log tail');
  } catch (error) {
    logger.error({ err: toFerryError(error), fromOffset: scanFrom }, 'could not replay the log tail for producer state');
  }
  table.isDirty = snapshot === null || scanFrom < log.logEndOffset;
  return table;
}

async function readSnapshot(fs: FileSystem, path: string, logger: Logger): Promise<ProducerSnapshot | null> {
  try {
    if (!(await fs.exists(path))) return null;
    return decodeSnapshot(await fs.readFile(path));
  } catch (error) {
    const { code, message } = toFerryError(error);
    logger.warn({ file: path, code, err: message }, 'producer state snapshot unreadable; rebuilding from the whole log');
    return null;
  }
}

/** Applies the header of every idempotent batch from `fromOffset` to the log end. */
async function replayTail(log: PartitionLog, table: ProducerStateTable, fromOffset: number, nowMs: number): Promise<number> {
  let offset = fromOffset;
  let replayed = 0;
  const endOffset = log.logEndOffset;
  while (offset < endOffset) {
    const { data } = await log.read(offset, SCAN_CHUNK_BYTES);
    let next = offset;
    let at = 0;
    while (at + BATCH_HEADER_BYTES <= data.length) {
      const sizeBytes = batchSizeBytes(data, at);
      if (sizeBytes < BATCH_HEADER_BYTES || at + sizeBytes > data.length) break;
      const baseOffset = batchBaseOffset(data, at);
      const lastOffsetDelta = data.readInt32BE(at + BatchField.lastOffsetDelta);
      const lastOffset = baseOffset + lastOffsetDelta;
      const producerId = readInt64(data, at + BatchField.producerId);
      if (lastOffset >= offset && producerId >= 0) {
        const firstSeq = data.readInt32BE(at + BatchField.baseSequence);
        const epoch = data.readInt16BE(at + BatchField.producerEpoch);
        table.replay(producerId, epoch, firstSeq, lastSequenceOf(firstSeq, lastOffsetDelta), baseOffset, lastOffset, nowMs);
        replayed++;
      }
      next = Math.max(next, lastOffset + 1);
      at += sizeBytes;
    }
    if (next <= offset) break;
    offset = next;
  }
  return replayed;
}

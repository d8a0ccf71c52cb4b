import assert from 'node:assert/strict';
import { ErrorCode, FerryError } from '../common/errors.ts';
import { NO_PRODUCER_EPOCH, NO_SEQUENCE } from '../common/record-batch-header.ts';

/**
 * Idempotent producer state of one partition, as Kafka keeps it (ProducerStateManager): per
 * producer id, its epoch, its last sequence number, and the metadata of its last five batches so
 * that a retried batch gets its original offsets back instead of being written twice.
 *
 * Two views are kept. The *reserved* view (`epoch`, `lastSeq`) includes batches whose append is
 * still in flight: the check of the next batch and the call to append happen in one synchronous
 * step, so pipelined requests of one producer are sequenced correctly although the appends are
 * asynchronous. The *applied* view (`appliedEpoch`, `appliedLastSeq`, batches with `pending`
 * null) covers only what the log holds below the high watermark; snapshots are taken of it.
 */

/** Kafka's ProducerStateEntry.NumBatchesToRetain: clients keep at most 5 requests in flight. */
export const CACHED_BATCHES_PER_PRODUCER = 5;
const MAX_SEQUENCE = 0x7fff_ffff;

export interface CachedBatch {
  epoch: number;
  firstSeq: number;
  lastSeq: number;
  /** -1 while the append is in flight. */
  baseOffset: number;
  lastOffset: number;
  /** The append writing this batch while it is in flight; null once applied. */
  pending: Promise<unknown> | null;
}

export interface ProducerEntry {
  readonly producerId: number;
  epoch: number;
  lastSeq: number;
  /** Newest last, at most CACHED_BATCHES_PER_PRODUCER, in-flight ones included. */
  batches: CachedBatch[];
  appliedEpoch: number;
  appliedLastSeq: number;
  /** Broker clock when a batch of this producer was last applied (for expiration). */
  lastTimestampMs: number;
  pendingCount: number;
}

/** How to undo one reservation if its append fails. */
export interface Reservation {
  readonly entry: ProducerEntry;
  readonly batch: CachedBatch;
  readonly previousEpoch: number;
  readonly previousLastSeq: number;
  /** The batch list before an epoch bump replaced it; null when the epoch did not change. */
  readonly previousBatches: CachedBatch[] | null;
  readonly isNewEntry: boolean;
}

export interface ProducerStateLimits {
  maxProducerIds: number;
}

/** The sequence number after `lastSeq`; sequences wrap from 2^31-1 to 0 as in Kafka. */
export function nextSequence(lastSeq: number): number {
  return lastSeq === MAX_SEQUENCE ? 0 : lastSeq + 1;
}

/** Last sequence of a batch of `recordCount` records starting at `firstSeq`, wrapping. */
export function lastSequenceOf(firstSeq: number, lastOffsetDelta: number): number {
  return firstSeq > MAX_SEQUENCE - lastOffsetDelta ? firstSeq + lastOffsetDelta - MAX_SEQUENCE - 1 : firstSeq + lastOffsetDelta;
}

export class ProducerStateTable {
  /** Insertion order is recency: an entry is moved to the end each time it is used. */
  private readonly entries = new Map<number, ProducerEntry>();
  private readonly limits: ProducerStateLimits;
  /** Applied state changed since the last snapshot. */
  isDirty = false;

  constructor(limits: ProducerStateLimits) {
    this.limits = limits;
  }

  get size(): number {
    return this.entries.size;
  }

  get(producerId: number): ProducerEntry | undefined {
    return this.entries.get(producerId);
  }

  /**
   * Kafka's ProducerAppendInfo checks for one idempotent batch: the duplicate it repeats, or null
   * when it may be appended. Throws INVALID_PRODUCER_EPOCH for an old epoch and
   * OUT_OF_ORDER_SEQUENCE for a gap. A producer without state (new, expired, or whose batches
   * left the log) may start at any sequence, as Kafka accepts since 2.5 (KIP-360).
   */
  check(producerId: number, epoch: number, firstSeq: number, lastSeq: number): CachedBatch | null {
    const entry = this.entries.get(producerId);
    if (entry === undefined || entry.epoch === NO_PRODUCER_EPOCH) return null;
    if (epoch < entry.epoch) {
      throw new FerryError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `producer ${producerId} epoch ${epoch} is older than the current epoch ${entry.epoch}: it was fenced`,
        { producerId, epoch, currentEpoch: entry.epoch },
      );
    }
    if (epoch > entry.epoch) {
      if (firstSeq !== 0) {
        throw new FerryError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE,
          `producer ${producerId} started epoch ${epoch} at sequence ${firstSeq}; a new epoch starts at 0`,
          { producerId, epoch, sequence: firstSeq },
        );
      }
      return null;
    }
    for (const batch of entry.batches) {
      if (batch.firstSeq === firstSeq && batch.lastSeq === lastSeq && batch.epoch === epoch) return batch;
    }
    const expected = nextSequence(entry.lastSeq);
    if (firstSeq !== expected) {
      throw new FerryError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE,
        `producer ${producerId} epoch ${epoch} sent sequence ${firstSeq}, expected ${expected}`,
        { producerId, epoch, sequence: firstSeq, expectedSequence: expected },
      );
    }
    return null;
  }

  /** Records a checked batch as in flight, so that the next check sees it. */
  reserve(producerId: number, epoch: number, firstSeq: number, lastSeq: number, pending: Promise<unknown>): Reservation {
    let entry = this.entries.get(producerId);
    const isNewEntry = entry === undefined;
    if (entry === undefined) {
      this.evictForNewEntry();
      entry = {
        producerId,
        epoch: NO_PRODUCER_EPOCH,
        lastSeq: NO_SEQUENCE,
        batches: [],
        appliedEpoch: NO_PRODUCER_EPOCH,
        appliedLastSeq: NO_SEQUENCE,
        lastTimestampMs: 0,
        pendingCount: 0,
      };
    } else {
      this.entries.delete(producerId);
    }
    this.entries.set(producerId, entry);
    const reservation: Reservation = {
      entry,
      batch: { epoch, firstSeq, lastSeq, baseOffset: -1, lastOffset: -1, pending },
      previousEpoch: entry.epoch,
      previousLastSeq: entry.lastSeq,
      previousBatches: epoch !== entry.epoch ? entry.batches : null,
      isNewEntry,
    };
    if (epoch !== entry.epoch) {
      entry.epoch = epoch;
      entry.batches = [];
    }
    entry.batches.push(reservation.batch);
    if (entry.batches.length > CACHED_BATCHES_PER_PRODUCER) entry.batches.shift();
    entry.lastSeq = lastSeq;
    entry.pendingCount++;
    return reservation;
  }

  /** The append of a reserved batch succeeded at these offsets. Called in append order. */
  apply(reservation: Reservation, baseOffset: number, lastOffset: number, nowMs: number): void {
    const { entry, batch } = reservation;
    assert.ok(batch.pending !== null, 'a reservation is applied once');
    batch.baseOffset = baseOffset;
    batch.lastOffset = lastOffset;
    batch.pending = null;
    entry.pendingCount--;
    entry.appliedEpoch = batch.epoch;
    entry.appliedLastSeq = batch.lastSeq;
    entry.lastTimestampMs = nowMs;
    this.isDirty = true;
  }

  /**
   * The append of a reserved batch failed: nothing was written. When it is still the producer's
   * newest batch its reservation is undone, so the client's retry is checked as before. When a
   * later request of the producer was already checked against it (and is being appended), only
   * its metadata goes: the producer sees OUT_OF_ORDER_SEQUENCE on the retry and must reset, which
   * is how Kafka clients handle a hole. Rollbacks of one request run newest first.
   */
  rollback(reservation: Reservation): void {
    const { entry, batch } = reservation;
    if (batch.pending === null) return;
    batch.pending = null;
    entry.pendingCount--;
    const at = entry.batches.indexOf(batch);
    const isNewest = at === entry.batches.length - 1 && at >= 0;
    if (isNewest && entry.lastSeq === batch.lastSeq && entry.epoch === batch.epoch) {
      entry.epoch = reservation.previousEpoch;
      entry.lastSeq = reservation.previousLastSeq;
      if (reservation.previousBatches !== null) entry.batches = reservation.previousBatches;
      else entry.batches.pop();
      if (reservation.isNewEntry && entry.pendingCount === 0 && entry.appliedEpoch === NO_PRODUCER_EPOCH) {
        this.entries.delete(entry.producerId);
      }
    } else if (at >= 0) {
      entry.batches.splice(at, 1);
    }
  }

  /** Rebuilding from the log: a batch that is there, applied without checks (Kafka's loadFromLog). */
  replay(
    producerId: number,
    epoch: number,
    firstSeq: number,
    lastSeq: number,
    baseOffset: number,
    lastOffset: number,
    nowMs: number,
  ): void {
    let entry = this.entries.get(producerId);
    if (entry !== undefined && epoch < entry.epoch) return;
    if (entry === undefined) {
      this.evictForNewEntry();
      entry = {
        producerId,
        epoch,
        lastSeq: NO_SEQUENCE,
        batches: [],
        appliedEpoch: epoch,
        appliedLastSeq: NO_SEQUENCE,
        lastTimestampMs: nowMs,
        pendingCount: 0,
      };
    } else {
      this.entries.delete(producerId);
    }
    this.entries.set(producerId, entry);
    if (epoch !== entry.epoch) entry.batches = [];
    entry.batches.push({ epoch, firstSeq, lastSeq, baseOffset, lastOffset, pending: null });
    if (entry.batches.length > CACHED_BATCHES_PER_PRODUCER) entry.batches.shift();
    entry.epoch = entry.appliedEpoch = epoch;
    entry.lastSeq = entry.appliedLastSeq = lastSeq;
    entry.lastTimestampMs = nowMs;
    this.isDirty = true;
  }

  /** Restores one entry from a snapshot (applied state only). */
  restore(entry: Omit<ProducerEntry, 'pendingCount' | 'appliedEpoch' | 'appliedLastSeq'>): void {
    this.entries.delete(entry.producerId);
    this.evictForNewEntry();
    this.entries.set(entry.producerId, { ...entry, appliedEpoch: entry.epoch, appliedLastSeq: entry.lastSeq, pendingCount: 0 });
  }

  /** Entries whose applied state a snapshot records (those with nothing applied are skipped). */
  *appliedEntries(): IterableIterator<ProducerEntry> {
    for (const entry of this.entries.values()) if (entry.appliedEpoch !== NO_PRODUCER_EPOCH) yield entry;
  }

  /** Drops producers idle for `expirationMs` (Kafka's producer.id.expiration.ms). */
  expire(nowMs: number, expirationMs: number): number {
    let removed = 0;
    for (const entry of this.entries.values()) {
      if (entry.pendingCount === 0 && entry.lastTimestampMs + expirationMs <= nowMs) {
        this.entries.delete(entry.producerId);
        removed++;
      }
    }
    if (removed > 0) this.isDirty = true;
    return removed;
  }

  /** Drops producers whose every batch is below the log start offset (deleted records), as
   *  Kafka's evictUnretainedProducers: their next batch may start at any sequence. */
  removeBelow(logStartOffset: number): void {
    for (const entry of this.entries.values()) {
      const newest = entry.batches.at(-1);
      if (entry.pendingCount === 0 && newest !== undefined && newest.lastOffset < logStartOffset) {
        this.entries.delete(entry.producerId);
        this.isDirty = true;
      }
    }
  }

  /** Drops batch metadata at or above `offset` (the log was truncated below a snapshot). */
  truncateFrom(offset: number): void {
    for (const entry of this.entries.values()) {
      const kept = entry.batches.filter((batch) => batch.lastOffset < offset);
      if (kept.length === entry.batches.length) continue;
      if (kept.length === 0) {
        this.entries.delete(entry.producerId);
      } else {
        entry.batches = kept;
        entry.lastSeq = entry.appliedLastSeq = kept.at(-1)!.lastSeq;
      }
      this.isDirty = true;
    }
  }

  private evictForNewEntry(): void {
    if (this.entries.size < this.limits.maxProducerIds) return;
    for (const entry of this.entries.values()) {
      if (entry.pendingCount === 0) {
        this.entries.delete(entry.producerId);
        this.isDirty = true;
        return;
      }
    }
  }
}

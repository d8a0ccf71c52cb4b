import { toFerryError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { encodeRecordBatch, type ProducerRecord } from '../../common/record-batch.ts';
import type { Partition } from '../partition.ts';
import type { QueueHost } from './host.ts';
import type { PartitionCursor } from './partition-cursor.ts';
import { StateKind, type StateRecord, stateRecord } from './state-codec.ts';

/** A batch of `__subscriptions` records is cut at this size (well under its max.message.bytes). */
const MAX_BATCH_BYTES = 512 * 1024;
/** Changes nobody waits for (delivery marks and counts) are written at most this late. */
const LAZY_WRITE_MS = 1_000;

export interface FullState {
  records: StateRecord[];
  cursors: PartitionCursor[];
}

export interface StateJournalOptions {
  host: QueueHost;
  /** Partition 0 of `__subscriptions`, created on the first write of a broker that never had queues. */
  partition(): Promise<Partition>;
  /** Journal bytes after which the next write is a full snapshot and older segments go. */
  snapshotBytes: number;
  logger: Logger;
  /** Everything a full snapshot holds: definitions, policies, every cursor's state. */
  fullState(): FullState;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const RESOLVED = Promise.resolve();

/**
 * The group commit of subscription state into `__subscriptions` (docs/queues.md). Changes pile up
 * while one append is in flight; the next append takes them all, so a thousand acks from four
 * consumers cost one append and one fsync. `commit()` resolves when everything changed before the
 * call is durable (under the topic's flush policy, `always` by default): that is when an ack is
 * confirmed to its consumer. Every `snapshotBytes` of journal, a write carries the full state
 * instead of deltas and the segments before it are deleted, so replay at start stays short.
 */
export class StateJournal {
  private readonly options: StateJournalOptions;
  private readonly dirty = new Set<PartitionCursor>();
  private records: StateRecord[] = [];
  /** Settles with the next write: what callers of commit() since the last write wait for. */
  private next: Deferred | null = null;
  private writing: Promise<void> | null = null;
  private isScheduled = false;
  private lazyTimer: NodeJS.Timeout | null = null;
  private bytesSinceSnapshot = 0;
  private needsSnapshot = false;
  private isClosed = false;
  /** Appends made (tests and describe). */
  writeCount = 0;

  constructor(options: StateJournalOptions) {
    this.options = options;
  }

  /** The cursor has changes; they are written with the next commit, or lazily. */
  touch(cursor: PartitionCursor): void {
    this.dirty.add(cursor);
    if (this.lazyTimer === null && !this.isClosed) {
      this.lazyTimer = setTimeout(() => {
        this.lazyTimer = null;
        if (this.dirty.size > 0) this.commit().catch(() => {}); // the failure is logged by the write
      }, LAZY_WRITE_MS).unref();
    }
  }

  /** Queues a definition, policy or snapshot record; resolves when it is durable. */
  add(record: StateRecord): Promise<void> {
    this.records.push(record);
    return this.commit();
  }

  /** Resolves when every change made before the call is durable. */
  commit(): Promise<void> {
    if (this.dirty.size === 0 && this.records.length === 0 && this.next === null) return this.writing ?? RESOLVED;
    this.next ??= deferred();
    this.schedule();
    return this.next.promise;
  }

  /** Writes the full state now (at close, or after a failed write). */
  snapshotNow(): Promise<void> {
    this.needsSnapshot = true;
    this.next ??= deferred();
    this.schedule();
    return this.next.promise;
  }

  /** Waits for the write in flight, writes a last snapshot, and stops. */
  async close(): Promise<void> {
    if (this.lazyTimer !== null) clearTimeout(this.lazyTimer);
    this.lazyTimer = null;
    try {
      await this.snapshotNow();
    } catch {
      // Logged by the write; the journal on disk is still consistent, only less compact.
    }
    this.isClosed = true;
  }

  private schedule(): void {
    if (this.isScheduled || this.writing !== null || this.isClosed) return;
    this.isScheduled = true;
    // setImmediate, not a microtask: acks arriving in the same turn of the event loop join.
    setImmediate(() => {
      this.isScheduled = false;
      this.writing = this.write().finally(() => {
        this.writing = null;
        if (this.next !== null) this.schedule();
      });
      this.writing.catch(() => {});
    });
  }

  private async write(): Promise<void> {
    const waiting = this.next;
    this.next = null;
    const isSnapshot = this.needsSnapshot || this.bytesSinceSnapshot >= this.options.snapshotBytes;
    const records: ProducerRecord[] = [];
    const floors: [PartitionCursor, number][] = [];
    if (isSnapshot) {
      this.needsSnapshot = false;
      for (const cursor of this.dirty) cursor.takeDelta();
      this.dirty.clear();
      this.records = [];
      const full = this.options.fullState();
      for (const record of full.records) records.push(stateRecord(record));
      for (const cursor of full.cursors) floors.push([cursor, cursor.ackFloor]);
    } else {
      for (const record of this.records) records.push(stateRecord(record));
      this.records = [];
      for (const cursor of this.dirty) {
        if (cursor.isRemoved) continue;
        const delta = cursor.takeDelta();
        floors.push([cursor, cursor.ackFloor]);
        if (delta === null) continue;
        records.push(
          stateRecord({
            key: { kind: StateKind.delta, topic: cursor.topic, subscription: cursor.subscription, partition: cursor.index },
            state: delta,
          }),
        );
      }
      this.dirty.clear();
    }
    if (records.length === 0) {
      for (const [cursor, floor] of floors) cursor.persistedFloor = floor;
      waiting?.resolve();
      return;
    }
    try {
      const batches = encodeBatches(records, this.options.host.now());
      const partition = await this.options.partition();
      const result = await this.options.host.append(partition, batches);
      this.writeCount++;
      for (const [cursor, floor] of floors) cursor.persistedFloor = floor;
      if (isSnapshot) {
        this.bytesSinceSnapshot = result.sizeBytes;
        await this.trimBefore(partition, result.baseOffset);
      } else {
        this.bytesSinceSnapshot += result.sizeBytes;
      }
      waiting?.resolve();
    } catch (error) {
      // Memory is ahead of the disk now: the next write carries everything.
      this.needsSnapshot = true;
      this.options.logger.error({ err: toFerryError(error).message }, 'could not write subscription state');
      waiting?.reject(toFerryError(error));
    }
  }

  private async trimBefore(partition: Partition, offset: number): Promise<void> {
    const log = partition.log;
    if (offset <= log.logStartOffset) return;
    try {
      await log.deleteRecordsBefore(offset);
    } catch (error) {
      this.options.logger.warn({ err: toFerryError(error).message, offset }, 'could not trim __subscriptions after a snapshot');
    }
  }
}

/** Whole batches back to back, each under MAX_BATCH_BYTES (a single large record gets its own). */
function encodeBatches(records: readonly ProducerRecord[], nowMs: number): Buffer {
  const batches: Buffer[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const size = (records[i]!.key?.length ?? 0) + (records[i]!.value?.length ?? 0) + 16;
    if (i > start && bytes + size > MAX_BATCH_BYTES) {
      batches.push(encodeRecordBatch({ records: records.slice(start, i), now: nowMs }));
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  batches.push(encodeRecordBatch({ records: start === 0 ? records : records.slice(start), now: nowMs }));
  return batches.length === 1 ? batches[0]! : Buffer.concat(batches);
}

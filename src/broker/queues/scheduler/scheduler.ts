import { ErrorCode, FerryError, toFerryError } from '../../../common/errors.ts';
import type { Logger } from '../../../common/logger.ts';
import { encodeRecordBatch, type ProducerRecord } from '../../../common/record-batch.ts';
import { headerInteger, headerText, ReservedHeader, textHeader } from '../../../common/reserved-headers.ts';
import type { PartitionLog } from '../../../storage/types.ts';
import type { Partition } from '../../partition.ts';
import type { ProduceResult } from '../../types.ts';
import type { QueueConfig } from '../config.ts';
import type { QueueHost } from '../host.ts';
import { decodeMessages, readMessagesAt } from '../message-reader.ts';
import { MinHeap } from '../min-heap.ts';
import type { QueueMessage, ScheduleStats } from '../types.ts';
import { mayHoldScheduledRecords, type ScheduledRecord, splitScheduled } from './schedule-detect.ts';
import { ScheduleIndex } from './schedule-index.ts';
import { TimingWheel } from './timing-wheel.ts';

/** Bytes read from `__scheduled` per step at start (re-index). */
const READ_BYTES = 256 * 1024;
/** Bytes read around records that fire: records due together were stored together (due order). */
const FIRE_READ_BYTES = 64 * 1024;
/** A batch appended to a target (or `__scheduled`) is cut at about this many bytes. */
const MAX_APPEND_BYTES = 512 * 1024;
/** Recent lateness samples kept for the percentiles in stats. */
const LATENESS_SAMPLES = 8192;
/** Fires (ticks' worth of due records) in progress at once; beyond it due records wait a tick. */
const MAX_FIRES_IN_FLIGHT = 16;
/** The wheel spans this many buckets: the current one, the next, and room for the tick. */
const WHEEL_BUCKETS = 3;

const ROUTING_HEADERS: ReadonlySet<string> = new Set([ReservedHeader.targetTopic, ReservedHeader.targetPartition]);

interface BucketState {
  isLoaded: boolean;
  /** Entries scheduled into it while it was being read from disk. */
  pendingAdds: number[] | null;
  /** Entries in the wheel not yet delivered. */
  remaining: number;
}

export interface SchedulerOptions {
  host: QueueHost;
  config: QueueConfig;
  logger: Logger;
  /** Partition 0 of `__scheduled` if it exists (it is created with the first scheduled record). */
  partition: Partition | undefined;
  /** Creates `__scheduled` if need be and returns its partition 0. */
  ensurePartition(): Promise<Partition>;
  /** Directory of the on-disk index. */
  dir: string;
}

/**
 * Scheduled delivery (docs/queues.md): records produced with `ferry-deliver-at` / `ferry-delay-ms`
 * in the future are diverted into the internal topic `__scheduled` (durable under its flush policy
 * before the producer is answered), indexed on disk by due time, and appended to their target
 * partition when due, so every protocol's consumers see them from then on and not before. Memory
 * holds the timing wheel for the next two buckets and a few numbers per bucket; the rest of the
 * index stays on disk, which is what keeps a million pending records cheap.
 */
export class Scheduler {
  private readonly options: SchedulerOptions;
  private readonly index: ScheduleIndex;
  private wheel!: TimingWheel;
  private readonly states = new Map<number, BucketState>();
  /** Buckets on disk not yet in the wheel, soonest first. */
  private readonly upcoming = new MinHeap<number>();
  private readonly upcomingSet = new Set<number>();
  private pendingCount = 0;
  private deliveredCount = 0;
  private readonly lateness = new Float64Array(LATENESS_SAMPLES);
  private latenessSamples = 0;
  private timer: NodeJS.Timeout | null = null;
  private checkpointTimer: NodeJS.Timeout | null = null;
  /** Fires in progress (they overlap; see fire()). */
  private readonly fires = new Set<Promise<void>>();
  /** Settles when the latest fire has issued its appends. */
  private issueChain: Promise<void> = Promise.resolve();
  private isLoading = false;
  private isCheckpointing = false;
  private divertsInFlight = 0;
  private checkpointOffset = 0;
  private isClosed = false;
  private partition: Partition | undefined;

  private constructor(options: SchedulerOptions) {
    this.options = options;
    this.partition = options.partition;
    this.index = new ScheduleIndex(options.host.fs, options.dir, options.config.scheduleBucketMs, options.logger);
  }

  /** Loads the index, re-indexes the tail of `__scheduled` past the checkpoint, starts the wheel. */
  static async open(options: SchedulerOptions): Promise<Scheduler> {
    const scheduler = new Scheduler(options);
    await scheduler.start();
    return scheduler;
  }

  private async start(): Promise<void> {
    const { config, host } = this.options;
    await this.index.load();
    let reindexed = 0;
    if (this.partition !== undefined) {
      const log = this.partition.log;
      const checkpoint = Math.max((await this.index.readCheckpoint()) ?? 0, log.logStartOffset);
      if (checkpoint < log.highWatermark) await this.index.noteReindex(checkpoint, log.highWatermark);
      reindexed = await this.reindex(log, checkpoint, log.highWatermark);
      await this.index.sync();
      this.checkpointOffset = log.highWatermark;
      await this.index.writeCheckpoint(this.checkpointOffset);
    }
    for (const info of this.index.buckets.values()) {
      this.pendingCount += Math.max(0, info.entries - info.fired);
      this.addUpcoming(info.startMs);
    }
    const slotCount = Math.ceil((WHEEL_BUCKETS * config.scheduleBucketMs) / config.scheduleTickMs);
    this.wheel = new TimingWheel(config.scheduleTickMs, slotCount, host.now());
    this.checkpointTimer = setInterval(() => void this.checkpoint(), config.scheduleCheckpointIntervalMs).unref();
    if (this.pendingCount > 0) {
      await this.loadUpcoming();
      this.ensureTimer();
    }
    this.options.logger.info({ pending: this.pendingCount, buckets: this.index.buckets.size, reindexed }, 'scheduler open');
  }

  /** Entries of `__scheduled` records in [from, to) not yet in the index files. */
  private async reindex(log: PartitionLog, from: number, to: number): Promise<number> {
    let offset = from;
    let count = 0;
    while (offset < to) {
      const { data } = await log.read(offset, READ_BYTES, { maxOffset: to });
      if (data.length === 0) break;
      const dues: number[] = [];
      const offsets: number[] = [];
      const next = decodeMessages(data, 0, offset, to, (message) => {
        const dueMs = headerInteger(message.headers, ReservedHeader.deliverAt);
        if (dueMs !== null) {
          dues.push(dueMs);
          offsets.push(message.offset);
        }
        return true;
      });
      if (dues.length > 0) await this.index.append(dues, offsets);
      count += dues.length;
      if (next <= offset) break;
      offset = next;
    }
    return count;
  }

  // ------------------------------------------------------------------------------ produce

  /**
   * The produce path's hook: null when the request holds no record due later (append it as is),
   * else a promise of the produce result after the scheduled records are in `__scheduled` and the
   * others appended. The base offset is that of the records appended now, -1 when all were
   * scheduled.
   */
  admit(target: Partition, batches: Buffer): Promise<ProduceResult> | null {
    const config = this.options.config;
    if (!mayHoldScheduledRecords(batches, config.scheduleScanCompressed)) return null;
    const nowMs = this.options.host.now();
    const split = splitScheduled(batches, nowMs);
    if (split === null) return null;
    for (const { deliverAtMs } of split.scheduled) {
      if (deliverAtMs - nowMs > config.scheduleMaxDelayMs) {
        throw new FerryError(
          ErrorCode.INVALID_RECORD,
          `a record asks for delivery ${deliverAtMs - nowMs} ms from now; the limit is ${config.scheduleMaxDelayMs} ms (scheduleMaxDelayMs)`,
          { deliverAtMs },
        );
      }
    }
    if (
      this.pendingCount + split.scheduled.length > config.scheduleMaxPending &&
      this.exactPending() + split.scheduled.length > config.scheduleMaxPending
    ) {
      throw new FerryError(
        ErrorCode.BACKLOG_LIMIT_EXCEEDED,
        `${this.pendingCount} scheduled records are pending, the limit is ${config.scheduleMaxPending} (scheduleMaxPending)`,
        { pending: this.pendingCount },
      );
    }
    return this.divert(target, split.scheduled, split.immediate);
  }

  /**
   * Encodes the records for `__scheduled` at once (due order: records that fire together are read
   * together), so that only the encoded bytes and the due times wait for the append: a produce in
   * flight holds no record objects.
   */
  private divert(target: Partition, scheduled: ScheduledRecord[], immediate: Buffer | null): Promise<ProduceResult> {
    scheduled.sort((a, b) => a.deliverAtMs - b.deliverAtMs);
    const routing = [textHeader(ReservedHeader.targetTopic, target.topic), textHeader(ReservedHeader.targetPartition, target.index)];
    const records: ProducerRecord[] = new Array(scheduled.length);
    const dues: number[] = new Array(scheduled.length);
    for (let i = 0; i < scheduled.length; i++) {
      const { record, deliverAtMs } = scheduled[i]!;
      records[i] = {
        key: record.key ?? null,
        value: record.value ?? null,
        timestamp: record.timestamp,
        headers: [...(record.headers ?? []), ...routing],
      };
      dues[i] = deliverAtMs;
    }
    return this.store(target, encodeBatches(records, this.options.host.now()), dues, immediate);
  }

  private async store(target: Partition, batches: Buffer, dues: number[], immediate: Buffer | null): Promise<ProduceResult> {
    const { host } = this.options;
    this.divertsInFlight++;
    this.pendingCount += dues.length;
    try {
      this.partition ??= await this.options.ensurePartition();
      const result = await host.append(this.partition, batches);
      const offsets = dues.map((_, i) => result.baseOffset + i);
      const written = this.index.append(dues, offsets);
      for (let i = 0; i < dues.length; i++) this.placeNew(dues[i]!, offsets[i]!);
      await written;
      this.ensureTimer();
    } catch (error) {
      this.pendingCount -= dues.length;
      throw error;
    } finally {
      this.divertsInFlight--;
    }
    if (immediate !== null) return host.produce(target, immediate);
    return { baseOffset: -1, logAppendTimeMs: -1, logStartOffset: target.log.logStartOffset, isDuplicate: false };
  }

  /** A new entry joins the wheel if its bucket is loaded, else waits in the bucket file. */
  private placeNew(dueMs: number, offset: number): void {
    const bucket = this.index.bucketOf(dueMs);
    const state = this.states.get(bucket);
    if (state === undefined) {
      this.addUpcoming(bucket);
    } else if (state.isLoaded) {
      this.wheel.add(dueMs, offset);
      state.remaining++;
    } else {
      state.pendingAdds!.push(dueMs, offset);
    }
  }

  private addUpcoming(bucket: number): void {
    if (this.upcomingSet.has(bucket) || this.states.has(bucket)) return;
    this.upcomingSet.add(bucket);
    this.upcoming.push(bucket, bucket);
  }

  // ------------------------------------------------------------------------------ the wheel

  private ensureTimer(): void {
    if (this.timer !== null || this.isClosed) return;
    this.timer = setInterval(() => this.tick(), this.options.config.scheduleTickMs).unref();
  }

  private tick(): void {
    if (this.isClosed) return;
    if (!this.isLoading && this.upcoming.size > 0) void this.loadUpcoming();
    if (this.fires.size >= MAX_FIRES_IN_FLIGHT) return;
    const offsets: number[] = [];
    const dues: number[] = [];
    this.wheel.advance(this.options.host.now(), (offset, dueMs) => {
      offsets.push(offset);
      dues.push(dueMs);
    });
    if (offsets.length === 0) {
      if (!this.isLoading && this.wheel.size === 0 && this.upcoming.size === 0 && this.timer !== null) {
        clearInterval(this.timer);
        this.timer = null;
      }
      return;
    }
    const fire: Promise<void> = this.fire(offsets, dues)
      .catch((error: unknown) => this.options.logger.error({ err: toFerryError(error).message }, 'scheduled delivery failed'))
      .finally(() => this.fires.delete(fire));
    this.fires.add(fire);
  }

  /** Reads buckets that now fit in the wheel's horizon from disk into the wheel. */
  private async loadUpcoming(): Promise<void> {
    if (this.isLoading) return;
    this.isLoading = true;
    try {
      const bucketMs = this.options.config.scheduleBucketMs;
      while (this.upcoming.size > 0 && !this.isClosed) {
        const bucket = this.upcoming.peekKey();
        if (bucket + bucketMs > this.wheel.horizonMs) break;
        this.upcoming.pop();
        this.upcomingSet.delete(bucket);
        const state: BucketState = { isLoaded: false, pendingAdds: [], remaining: 0 };
        this.states.set(bucket, state);
        // read() covers the entries appended before this call; later ones wait in pendingAdds.
        const loaded = await this.index.read(bucket);
        for (let i = 0; i < loaded.offsets.length; i++) this.wheel.add(loaded.dues[i]!, loaded.offsets[i]!);
        state.remaining = loaded.offsets.length;
        const adds = state.pendingAdds!;
        for (let i = 0; i < adds.length; i += 2) this.wheel.add(adds[i]!, adds[i + 1]!);
        state.remaining += adds.length / 2;
        state.pendingAdds = null;
        state.isLoaded = true;
      }
      if (this.wheel.size > 0) this.ensureTimer();
    } catch (error) {
      this.options.logger.error({ err: toFerryError(error).message }, 'could not load a schedule index bucket');
    } finally {
      this.isLoading = false;
    }
  }

  /**
   * Appends due records to their targets, then records them as fired. Fires overlap (a slow fsync
   * must not hold back the next tick's records): each reads on its own, but issues its appends
   * only after the fire before it issued its own, so records reach a partition in due order.
   */
  private async fire(offsets: number[], dues: number[]): Promise<void> {
    const { host, logger } = this.options;
    const previous = this.issueChain;
    let issued!: () => void;
    this.issueChain = new Promise<void>((resolve) => {
      issued = resolve;
    });
    const dueByOffset = new Map<number, number>();
    for (let i = 0; i < offsets.length; i++) dueByOffset.set(offsets[i]!, dues[i]!);
    const done: number[] = [];
    let appends: Promise<number[] | null>[];
    try {
      const sorted = [...offsets].sort((a, b) => a - b);
      let found: Map<number, QueueMessage>;
      try {
        found = this.partition === undefined ? new Map() : await readMessagesAt(this.partition.log, 0, sorted, FIRE_READ_BYTES);
      } catch (error) {
        logger.error({ err: toFerryError(error).message, records: offsets.length }, 'could not read due scheduled records; retrying');
        for (let i = 0; i < offsets.length; i++) this.wheel.add(dues[i]!, offsets[i]!);
        return;
      }
      // Appended in due order (the wheel hands out a tick at a time, but one fire may span several).
      const inDueOrder = [...offsets].sort((a, b) => dueByOffset.get(a)! - dueByOffset.get(b)! || a - b);
      const groups = this.groupByTarget(inDueOrder, found, done);
      await previous;
      appends = [...groups].map(([target, group]) =>
        host.append(target, encodeBatches(group.records, host.now())).then(
          () => group.offsets,
          (error: unknown) => {
            logger.error(
              { topic: target.topic, partition: target.index, err: toFerryError(error).message },
              'could not deliver due scheduled records; retrying',
            );
            for (const offset of group.offsets) this.wheel.add(dueByOffset.get(offset)!, offset);
            return null;
          },
        ),
      );
    } finally {
      issued();
    }
    for (const delivered of await Promise.all(appends)) if (delivered !== null) done.push(...delivered);
    const appendedAtMs = host.now();
    const byBucket = new Map<number, number[]>();
    for (const offset of done) {
      const dueMs = dueByOffset.get(offset)!;
      this.sampleLateness(appendedAtMs - dueMs);
      const bucket = this.index.bucketOf(dueMs);
      let list = byBucket.get(bucket);
      if (list === undefined) byBucket.set(bucket, (list = []));
      list.push(offset);
    }
    this.deliveredCount += done.length;
    this.pendingCount -= done.length;
    for (const [bucket, list] of byBucket) {
      const state = this.states.get(bucket);
      if (state !== undefined) state.remaining -= list.length;
      this.index.markFired(bucket, list);
    }
  }

  /** Due records by target partition, in the order given; records without a target (topic deleted) go to `dropped`. */
  private groupByTarget(
    ordered: readonly number[],
    found: Map<number, QueueMessage>,
    dropped: number[],
  ): Map<Partition, { offsets: number[]; records: ProducerRecord[] }> {
    const { host, logger } = this.options;
    const groups = new Map<Partition, { offsets: number[]; records: ProducerRecord[] }>();
    for (const offset of ordered) {
      const message = found.get(offset);
      const topic = message === undefined ? null : headerText(message.headers, ReservedHeader.targetTopic);
      const index = message === undefined ? null : headerInteger(message.headers, ReservedHeader.targetPartition);
      const target = topic === null || index === null ? undefined : host.partition(topic, index);
      if (message === undefined || target === undefined || target.isDeleted) {
        logger.warn(
          { offset, topic, partition: index },
          'a due scheduled record has no target any more (record or topic gone); dropping it',
        );
        dropped.push(offset);
        continue;
      }
      let group = groups.get(target);
      if (group === undefined) groups.set(target, (group = { offsets: [], records: [] }));
      group.offsets.push(offset);
      group.records.push({
        key: message.key,
        value: message.value,
        timestamp: message.timestamp,
        headers: message.headers.filter((header) => !ROUTING_HEADERS.has(header.key)),
      });
    }
    return groups;
  }

  // ------------------------------------------------------------------------------ upkeep

  /** Syncs the index, moves the re-index checkpoint, forgets finished buckets, trims `__scheduled`. */
  private async checkpoint(): Promise<void> {
    if (this.isCheckpointing || this.isClosed) return;
    this.isCheckpointing = true;
    const { logger, config, host } = this.options;
    const partition = this.partition;
    try {
      if (partition === undefined) return;
      // Only when no divert is between its append and its index write is the whole log indexed.
      if (this.divertsInFlight === 0) {
        const candidate = partition.log.highWatermark;
        if (candidate > this.checkpointOffset) {
          await this.index.sync();
          await this.index.writeCheckpoint(candidate);
          this.checkpointOffset = candidate;
        }
      }
      const nowMs = host.now();
      for (const [bucket, state] of this.states) {
        const info = this.index.buckets.get(bucket);
        const isPast = bucket + config.scheduleBucketMs <= nowMs;
        if (!state.isLoaded || state.remaining > 0 || !isPast) continue;
        if (info !== undefined && info.maxOffset >= this.checkpointOffset) continue;
        this.states.delete(bucket);
        await this.index.drop(bucket);
      }
      let lowest = this.checkpointOffset;
      for (const info of this.index.buckets.values()) if (info.minOffset < lowest) lowest = info.minOffset;
      if (lowest > partition.log.logStartOffset) await partition.log.deleteRecordsBefore(lowest);
    } catch (error) {
      logger.warn({ err: toFerryError(error).message }, 'schedule checkpoint failed');
    } finally {
      this.isCheckpointing = false;
    }
  }

  /**
   * Pending records, exactly: the wheel's buckets know theirs; a bucket still on disk may hold
   * duplicate entries (re-indexed after a crash) until it is read, so it is an upper bound there.
   * `pendingCount`, kept incrementally, can only be higher; this resets it.
   */
  private exactPending(): number {
    let pending = 0;
    for (const state of this.states.values()) pending += state.isLoaded ? state.remaining : 0;
    for (const info of this.index.buckets.values()) {
      const state = this.states.get(info.startMs);
      if (state === undefined || !state.isLoaded) pending += Math.max(0, info.entries - info.fired);
    }
    this.pendingCount = pending;
    return pending;
  }

  private sampleLateness(latenessMs: number): void {
    this.lateness[this.latenessSamples % LATENESS_SAMPLES] = latenessMs;
    this.latenessSamples++;
  }

  stats(): ScheduleStats {
    const count = Math.min(this.latenessSamples, LATENESS_SAMPLES);
    const samples = this.lateness.slice(0, count).sort();
    const at = (q: number): number => (count === 0 ? 0 : samples[Math.min(count - 1, Math.floor(q * count))]!);
    return {
      pending: this.exactPending(),
      inWheel: this.wheel?.size ?? 0,
      delivered: this.deliveredCount,
      latenessP50Ms: at(0.5),
      latenessP99Ms: at(0.99),
      latenessMaxMs: count === 0 ? 0 : samples[count - 1]!,
    };
  }

  /** Resets the lateness samples (benchmarks measure one phase at a time). */
  resetStats(): void {
    this.latenessSamples = 0;
    this.deliveredCount = 0;
  }

  async close(): Promise<void> {
    this.isClosed = true;
    if (this.timer !== null) clearInterval(this.timer);
    if (this.checkpointTimer !== null) clearInterval(this.checkpointTimer);
    this.timer = null;
    this.checkpointTimer = null;
    await Promise.all(this.fires);
    const partition = this.partition;
    if (partition !== undefined && this.divertsInFlight === 0 && partition.log.highWatermark > this.checkpointOffset) {
      // A last checkpoint: the next start re-indexes nothing.
      try {
        await this.index.sync();
        await this.index.writeCheckpoint(partition.log.highWatermark);
      } catch (error) {
        this.options.logger.warn({ err: toFerryError(error).message }, 'could not write the schedule checkpoint at close');
      }
    }
    await this.index.close();
  }
}

/** Whole batches back to back, each about MAX_APPEND_BYTES at most. */
function encodeBatches(records: readonly ProducerRecord[], nowMs: number): Buffer {
  const batches: Buffer[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    let size = (record.key?.length ?? 0) + (record.value?.length ?? 0) + 24;
    for (const header of record.headers ?? []) size += header.key.length + (header.value?.length ?? 0) + 4;
    if (i > start && bytes + size > MAX_APPEND_BYTES) {
      batches.push(encodeRecordBatch({ records: records.slice(start, i), now: nowMs }));
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  batches.push(encodeRecordBatch({ records: start === 0 ? records : records.slice(start), now: nowMs }));
  return batches.length === 1 ? batches[0]! : Buffer.concat(batches);
}

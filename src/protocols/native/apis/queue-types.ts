import type {
  BacklogLimits,
  BackoffOptions,
  CreateSubscriptionOptions,
  OverflowPolicy,
  SubscriptionDescription,
  SubscriptionMode,
  TopicQueuePolicy,
} from '../../../broker/queues/types.ts';
import { ErrorCode, FerryError } from '../../../common/errors.ts';
import type { WireReader, WireWriter } from '../wire.ts';

/**
 * Field groups shared by the queue APIs (docs/native-protocol.md section 5, "Queues"). Types come
 * from the broker's queue API as `import type` only: the codec stays pure and the client never
 * loads broker code. Enumerations travel as strings (the broker validates them, so a new mode is
 * not a wire change); "absent" numbers are -1.
 */

export type {
  BacklogLimits,
  BackoffOptions,
  CreateSubscriptionOptions,
  OverflowPolicy,
  SubscriptionDescription,
  SubscriptionMode,
  TopicQueuePolicy,
};

/** Options of a subscription a request may create, all optional (mode travels apart). */
export type SubscriptionCreateOptions = Omit<CreateSubscriptionOptions, 'mode'>;

function optionalNumber(value: number | undefined): number {
  return value === undefined ? -1 : value;
}

function fromOptional(value: number): number | undefined {
  return value < 0 ? undefined : value;
}

/** `hasLimits bool`, then `maxRecords i64, maxBytes i64, overflow string?` (-1 / null: none). */
export function writeLimits(w: WireWriter, limits: BacklogLimits | null | undefined): void {
  w.bool(limits != null);
  if (limits == null) return;
  w.i64(optionalNumber(limits.maxRecords))
    .i64(optionalNumber(limits.maxBytes))
    .nullableString(limits.overflow ?? null);
}

export function readLimits(r: WireReader): BacklogLimits | null {
  if (!r.bool()) return null;
  const limits: BacklogLimits = {};
  const maxRecords = fromOptional(r.i64());
  const maxBytes = fromOptional(r.i64());
  const overflow = r.nullableString();
  if (maxRecords !== undefined) limits.maxRecords = maxRecords;
  if (maxBytes !== undefined) limits.maxBytes = maxBytes;
  if (overflow !== null) limits.overflow = overflow as OverflowPolicy;
  return limits;
}

/** `hasBackoff bool`, then `minMs i64, maxMs i64, factor f64, jitter f64` (-1: default). */
function writeBackoff(w: WireWriter, backoff: BackoffOptions | undefined): void {
  w.bool(backoff !== undefined);
  if (backoff === undefined) return;
  w.i64(optionalNumber(backoff.minMs))
    .i64(optionalNumber(backoff.maxMs))
    .f64(backoff.factor ?? -1)
    .f64(backoff.jitter ?? -1);
}

function readBackoff(r: WireReader): BackoffOptions | undefined {
  if (!r.bool()) return undefined;
  const backoff: BackoffOptions = {};
  const minMs = fromOptional(r.i64());
  const maxMs = fromOptional(r.i64());
  const factor = r.f64();
  const jitter = r.f64();
  if (minMs !== undefined) backoff.minMs = minMs;
  if (maxMs !== undefined) backoff.maxMs = maxMs;
  if (factor >= 0) backoff.factor = factor;
  if (jitter >= 0) backoff.jitter = jitter;
  return backoff;
}

/** `startAt string?, ackTimeoutMs i64, maxDeliveries i32, deadLetterTopic string?, backoff, limits`. */
export function writeCreateOptions(w: WireWriter, options: SubscriptionCreateOptions): void {
  w.nullableString(options.startAt ?? null)
    .i64(optionalNumber(options.ackTimeoutMs))
    .i32(optionalNumber(options.maxDeliveries))
    .nullableString(options.deadLetterTopic ?? null);
  writeBackoff(w, options.backoff);
  writeLimits(w, options.limits);
}

export function readCreateOptions(r: WireReader): SubscriptionCreateOptions {
  const options: SubscriptionCreateOptions = {};
  const startAt = r.nullableString();
  const ackTimeoutMs = fromOptional(r.i64());
  const maxDeliveries = fromOptional(r.i32());
  const deadLetterTopic = r.nullableString();
  const backoff = readBackoff(r);
  const limits = readLimits(r);
  if (startAt !== null) options.startAt = startAt as 'earliest' | 'latest';
  if (ackTimeoutMs !== undefined) options.ackTimeoutMs = ackTimeoutMs;
  if (maxDeliveries !== undefined) options.maxDeliveries = maxDeliveries;
  if (deadLetterTopic !== null) options.deadLetterTopic = deadLetterTopic;
  if (backoff !== undefined) options.backoff = backoff;
  if (limits !== null) options.limits = limits;
  return options;
}

/** `ttlMs i64 (-1 none), ttlAction string?, limits, retention string?`. */
export function writePolicy(w: WireWriter, policy: TopicQueuePolicy): void {
  w.i64(optionalNumber(policy.ttlMs)).nullableString(policy.ttlAction ?? null);
  writeLimits(w, policy.limits);
  w.nullableString(policy.retention ?? null);
}

export function readPolicy(r: WireReader): TopicQueuePolicy {
  const policy: TopicQueuePolicy = {};
  const ttlMs = fromOptional(r.i64());
  const ttlAction = r.nullableString();
  const limits = readLimits(r);
  const retention = r.nullableString();
  if (ttlMs !== undefined) policy.ttlMs = ttlMs;
  if (ttlAction !== null) policy.ttlAction = ttlAction as 'drop' | 'dead_letter';
  if (limits !== null) policy.limits = limits;
  if (retention !== null) policy.retention = retention as 'log' | 'until_acked';
  return policy;
}

/**
 * SubscriptionDescription: `topic string, name string, mode string, startAt string, ackTimeoutMs
 * i64, maxDeliveries i32, deadLetterTopic string, backoff (minMs i64, maxMs i64, factor f64,
 * jitter f64), limits, consumers [id string, prefetch i32, inFlight i32, isActive bool],
 * partitions [partition i32, ackFloor i64, highWatermark i64, backlog i64, inFlight i32,
 * awaitingRedelivery i32], backlog i64, inFlight i64, redeliveries i64, deadLettered i64,
 * oldestUnackedAgeMs i64`.
 */
export function writeDescription(w: WireWriter, d: SubscriptionDescription): void {
  const o = d.options;
  w.string(d.topic).string(d.name).string(d.mode);
  w.string(o.startAt).i64(o.ackTimeoutMs).i32(o.maxDeliveries).string(o.deadLetterTopic);
  w.i64(o.backoff.minMs).i64(o.backoff.maxMs).f64(o.backoff.factor).f64(o.backoff.jitter);
  writeLimits(w, o.limits);
  w.array(d.consumers, (w, c) => w.string(c.id).i32(c.prefetch).i32(c.inFlight).bool(c.isActive));
  w.array(d.partitions, (w, p) =>
    w.i32(p.partition).i64(p.ackFloor).i64(p.highWatermark).i64(p.backlog).i32(p.inFlight).i32(p.awaitingRedelivery),
  );
  w.i64(d.backlog).i64(d.inFlight).i64(d.redeliveries).i64(d.deadLettered).i64(d.oldestUnackedAgeMs);
}

export function readDescription(r: WireReader): SubscriptionDescription {
  const topic = r.string();
  const name = r.string();
  const mode = r.string() as SubscriptionMode;
  const startAt = r.string() as 'earliest' | 'latest';
  const ackTimeoutMs = r.i64();
  const maxDeliveries = r.i32();
  const deadLetterTopic = r.string();
  const backoff = { minMs: r.i64(), maxMs: r.i64(), factor: r.f64(), jitter: r.f64() };
  const limits = readLimits(r);
  return {
    topic,
    name,
    mode,
    options: { mode, startAt, ackTimeoutMs, maxDeliveries, deadLetterTopic, backoff, limits },
    consumers: r.array((r) => ({ id: r.string(), prefetch: r.i32(), inFlight: r.i32(), isActive: r.bool() }), 11),
    partitions: r.array(
      (r) => ({
        partition: r.i32(),
        ackFloor: r.i64(),
        highWatermark: r.i64(),
        backlog: r.i64(),
        inFlight: r.i32(),
        awaitingRedelivery: r.i32(),
      }),
      36,
    ),
    backlog: r.i64(),
    inFlight: r.i64(),
    redeliveries: r.i64(),
    deadLettered: r.i64(),
    oldestUnackedAgeMs: r.i64(),
  };
}

/** Offsets of one partition: `partition i32, baseOffset i64, count i32, deltas [u32 × count]`
 *  (each offset minus the base): 4 bytes per acked record instead of 8. */
export interface PartitionOffsets {
  partition: number;
  offsets: number[];
}

/** Deltas are u32. */
const MAX_OFFSET_DELTA = 0xffff_ffff;

export function writePartitionOffsets(w: WireWriter, items: readonly PartitionOffsets[]): void {
  w.array(items, (w, item) => {
    const { offsets } = item;
    let base = offsets.length === 0 ? 0 : offsets[0]!;
    let top = base;
    for (let i = 1; i < offsets.length; i++) {
      if (offsets[i]! < base) base = offsets[i]!;
      else if (offsets[i]! > top) top = offsets[i]!;
    }
    if (top - base > MAX_OFFSET_DELTA) {
      throw new FerryError(ErrorCode.INVALID_REQUEST, `offsets of partition ${item.partition} span more than 2^32: send them apart`, {
        partition: item.partition,
      });
    }
    w.i32(item.partition).i64(base).i32(offsets.length);
    for (let i = 0; i < offsets.length; i++) w.u32(offsets[i]! - base);
  });
}

export function readPartitionOffsets(r: WireReader): PartitionOffsets[] {
  return r.array((r) => {
    const partition = r.i32();
    const base = r.i64();
    // Bounds-checked count (4 bytes per delta) before the array is allocated.
    const count = r.count(4);
    const offsets = new Array<number>(count);
    for (let i = 0; i < count; i++) offsets[i] = base + r.u32();
    return { partition, offsets };
  }, 16);
}

import assert from 'node:assert/strict';
import { ErrorCode, FerryError } from '../../../src/common/errors.ts';
import { silentLogger } from '../../../src/common/logger.ts';
import type { JoinGroupRequest } from '../../../src/broker/types.ts';
import { GroupCoordinator, type GroupCoordinatorOptions, type GroupConfigInput } from '../../../src/broker/groups/group-coordinator.ts';
import type { OffsetsLog } from '../../../src/broker/groups/offsets-log.ts';
import type { PartitionOffsets } from '../../../src/broker/groups/describe-group.ts';

/** An OffsetsLog in memory: every append is kept as it came, `readAll` yields them in order. */
export class MemoryOffsetsLog implements OffsetsLog {
  readonly chunks: Buffer[] = [];
  /** When set, the next append fails with it (and is not stored). */
  failNextAppend: Error | null = null;

  /** When set, appends are stored in call order at once but resolve only at `releaseHeld()`. */
  isHolding = false;
  private readonly held: (() => void)[] = [];

  async append(batch: Buffer): Promise<void> {
    const failure = this.failNextAppend;
    if (failure !== null) {
      this.failNextAppend = null;
      throw failure;
    }
    this.chunks.push(Buffer.from(batch));
    if (this.isHolding) await new Promise<void>((resolve) => this.held.push(resolve));
  }

  releaseHeld(): void {
    this.isHolding = false;
    for (const resolve of this.held.splice(0)) resolve();
  }

  async *readAll(): AsyncIterable<Buffer> {
    for (const chunk of this.chunks) yield chunk;
  }
}

/** A clock the test moves by hand (for commit timestamps and retention; timers use real time). */
export class ManualClock {
  nowMs = 1_700_000_000_000;
  now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** Topics the "broker" has, with offsets per partition. */
export class FakeTopics {
  private readonly partitions = new Map<string, PartitionOffsets>();

  set(topic: string, partition: number, offsets: Partial<PartitionOffsets> & { highWatermark: number }): void {
    this.partitions.set(`${topic}/${partition}`, {
      logStartOffset: offsets.logStartOffset ?? 0,
      logEndOffset: offsets.logEndOffset ?? offsets.highWatermark,
      highWatermark: offsets.highWatermark,
    });
  }

  /** A topic with `count` empty partitions. */
  create(topic: string, count: number): void {
    for (let partition = 0; partition < count; partition++) this.set(topic, partition, { highWatermark: 0 });
  }

  info = (topic: string, partition: number): PartitionOffsets | undefined => this.partitions.get(`${topic}/${partition}`);
}

export const TEST_GROUP_CONFIG: GroupConfigInput = {
  groupMinSessionTimeoutMs: 10,
  groupMaxSessionTimeoutMs: 60_000,
  groupInitialRebalanceDelayMs: 0,
  groupMaxSize: 1_000,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1_000,
};

export interface Harness {
  coordinator: GroupCoordinator;
  log: MemoryOffsetsLog;
  clock: ManualClock;
  topics: FakeTopics;
  /** A new coordinator over the same log, topics and clock (a broker restart). */
  reopen(): Promise<GroupCoordinator>;
}

export async function openCoordinator(
  t: { after(fn: () => Promise<void> | void): void },
  overrides: { config?: Partial<GroupConfigInput>; options?: Partial<GroupCoordinatorOptions> } = {},
): Promise<Harness> {
  const log = new MemoryOffsetsLog();
  const clock = new ManualClock();
  const topics = new FakeTopics();
  topics.create('orders', 4);
  topics.create('payments', 2);
  const open = async (): Promise<GroupCoordinator> => {
    const coordinator = new GroupCoordinator({
      config: { ...TEST_GROUP_CONFIG, ...overrides.config },
      logger: silentLogger,
      offsetsLog: log,
      topicInfo: topics.info,
      now: clock.now,
      ...overrides.options,
    });
    t.after(() => coordinator.close());
    await coordinator.load();
    return coordinator;
  };
  const coordinator = await open();
  return { coordinator, log, clock, topics, reopen: open };
}

export const RANGE = { name: 'range', metadata: Buffer.from('range-meta') };
export const ROUND_ROBIN = { name: 'roundrobin', metadata: Buffer.from('rr-meta') };

/** A consumer's JoinGroup with test-friendly defaults. */
export function joinRequest(overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'g1',
    memberId: '',
    clientId: 'client',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    protocolType: 'consumer',
    protocols: [RANGE],
    ...overrides,
  };
}

/** Asserts that `promise` rejects with a FerryError of `code`; returns it. */
export async function rejectsWith(promise: Promise<unknown> | (() => unknown), code: ErrorCode): Promise<FerryError> {
  let caught: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof FerryError, `expected FerryError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

/** Polls until `predicate` holds (real timers drive sessions and rebalances). */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Whether a promise has settled yet, without waiting for it. */
export async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol('pending');
  const winner = await Promise.race([
    promise.then(
      () => 'settled',
      () => 'settled',
    ),
    new Promise((resolve) => setImmediate(() => resolve(pending))),
  ]);
  return winner !== pending;
}

export { ErrorCode };

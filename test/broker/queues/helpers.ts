import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Broker } from '../../../src/broker/broker.ts';
import type { BrokerConfig } from '../../../src/broker/config.ts';
import type { QueueConfig } from '../../../src/broker/queues/config.ts';
import type { QueueMessage } from '../../../src/broker/queues/types.ts';
import { type Logger, silentLogger } from '../../../src/common/logger.ts';
import { encodeRecordBatch, type RecordHeader } from '../../../src/common/record-batch.ts';
import { openLogManager } from '../../../src/storage/log-manager.ts';
import type { LogConfig } from '../../../src/storage/types.ts';

/** A temp dir removed when the test ends, after every broker registered with `closeAtEnd`. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-queues-'));
  const brokers: Broker[] = [];
  dirBrokers.set(dir, brokers);
  t.after(async () => {
    for (const broker of brokers) await broker.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

const dirBrokers = new Map<string, Broker[]>();

/** Closes the broker when the test ends, before its dir is removed (hooks run in order). */
export function closeAtEnd(dir: string, broker: Broker): Broker {
  dirBrokers.get(dir)?.push(broker);
  return broker;
}

export interface QueueBrokerOptions {
  queues?: Partial<QueueConfig>;
  config?: Partial<BrokerConfig>;
  log?: Partial<LogConfig>;
  logger?: Logger;
  now?: () => number;
}

/** Fast test timing: deadlines checked often, no long backoff unless a test asks. */
export const TEST_QUEUE_CONFIG: Partial<QueueConfig> = {
  deadlineCheckIntervalMs: 10,
  redeliveryBackoffMinMs: 20,
  redeliveryBackoffMaxMs: 200,
  retentionCheckIntervalMs: 3_600_000,
  scheduleCheckpointIntervalMs: 200,
};

/** The real Broker over a real LogManager in `dir`. */
export async function openQueueBroker(dir: string, options: QueueBrokerOptions = {}): Promise<Broker> {
  const logger = options.logger ?? silentLogger;
  const logs = await openLogManager({ dataDir: dir, logger, ...(options.log ? { defaults: options.log } : {}) });
  return Broker.open({
    logs,
    logger,
    config: { groupInitialRebalanceDelayMs: 0, producerStateSnapshotIntervalMs: 3_600_000, ...options.config },
    queues: { ...TEST_QUEUE_CONFIG, ...options.queues },
    ...(options.now ? { now: options.now } : {}),
  });
}

/** A broker in a fresh temp dir, closed when the test ends (unless closed before). */
export async function startQueueBroker(t: TestContext, options: QueueBrokerOptions = {}): Promise<{ broker: Broker; dir: string }> {
  const dir = await tempDir(t);
  const broker = closeAtEnd(dir, await openQueueBroker(dir, options));
  return { broker, dir };
}

export interface TestRecord {
  value: string;
  key?: string | null;
  headers?: Record<string, string>;
  timestamp?: number;
}

export function batchOf(records: readonly (TestRecord | string)[]): Buffer {
  return encodeRecordBatch({
    records: records.map((input) => {
      const record = typeof input === 'string' ? { value: input } : input;
      const headers: RecordHeader[] = Object.entries(record.headers ?? {}).map(([key, value]) => ({ key, value: Buffer.from(value) }));
      return {
        key: record.key === undefined || record.key === null ? null : Buffer.from(record.key),
        value: Buffer.from(record.value),
        headers,
        ...(record.timestamp !== undefined ? { timestamp: record.timestamp } : {}),
      };
    }),
  });
}

export async function produce(broker: Broker, topic: string, records: readonly (TestRecord | string)[], partition = 0) {
  return broker.produce({ topic, partition, batches: batchOf(records), acks: -1 });
}

/** Values 0..count-1 as strings, with a prefix. */
export function values(count: number, prefix = 'm'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

export function textOf(message: QueueMessage): string {
  return message.value?.toString() ?? '';
}

export function headerOf(message: { headers: RecordHeader[] }, key: string): string | null {
  const header = message.headers.find((h) => h.key === key);
  return header?.value?.toString() ?? null;
}

/** Collects deliveries; `waitFor` resolves once `count` messages arrived in total. */
export class Inbox {
  readonly messages: QueueMessage[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];
  onMessages: ((messages: QueueMessage[]) => void) | null = null;

  readonly onDeliver = (messages: QueueMessage[]): void => {
    this.messages.push(...messages);
    this.onMessages?.(messages);
    this.waiters = this.waiters.filter((waiter) => {
      if (this.messages.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  };

  waitFor(count: number, timeoutMs = 5_000): Promise<void> {
    if (this.messages.length >= count) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`waited ${timeoutMs} ms for ${count} messages, got ${this.messages.length}`)),
        timeoutMs,
      );
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  values(): string[] {
    return this.messages.map(textOf);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it is true or `timeoutMs` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Every record of a topic partition (values and headers), read with fetch. */
export async function readTopic(broker: Broker, topic: string, partition = 0) {
  const { decodeRecordBatches } = await import('../../../src/common/record-batch.ts');
  const description = broker.describeTopic(topic).partitions[partition]!;
  const [result] = await broker.fetch({
    partitions: [{ topic, partition, offset: description.logStartOffset, maxBytes: 64 << 20 }],
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 64 << 20,
  });
  return decodeRecordBatches(result!.records).flatMap((batch) => batch.records.filter((r) => r.offset >= description.logStartOffset));
}

export function hasCode(code: string): (error: unknown) => boolean {
  return (error) => (error as { code?: string }).code === code;
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Broker } from '../../src/broker/broker.ts';
import type { BrokerConfig } from '../../src/broker/config.ts';
import type { FetchPartitionResult } from '../../src/broker/types.ts';
import { type Logger, silentLogger } from '../../src/common/logger.ts';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/common/record-batch.ts';
import { openLogManager } from '../../src/storage/log-manager.ts';

/** Brokers opened per data dir: closed (if the test did not) before the dir is removed. */
const brokersByDir = new Map<string, Broker[]>();

/** A temp data dir removed when the test ends, after every broker opened on it is closed
 *  (`after` hooks run in registration order, so tests need not register their own close). */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-broker-'));
  brokersByDir.set(dir, []);
  t.after(async () => {
    for (const broker of brokersByDir.get(dir) ?? []) await broker.close().catch(() => {});
    brokersByDir.delete(dir);
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Test defaults: no initial rebalance delay, and no background snapshot during a test. */
export const TEST_CONFIG: Partial<BrokerConfig> = {
  groupInitialRebalanceDelayMs: 0,
  producerStateSnapshotIntervalMs: 3_600_000,
};

export interface OpenOptions {
  config?: Partial<BrokerConfig>;
  logger?: Logger;
  now?: () => number;
}

/** Opens a broker over the data dir with a real LogManager (the broker closes it). */
export async function openBroker(dir: string, options: OpenOptions = {}): Promise<Broker> {
  const logger = options.logger ?? silentLogger;
  const logs = await openLogManager({ dataDir: dir, logger });
  const broker = await Broker.open({
    logs,
    config: { ...TEST_CONFIG, ...options.config },
    logger,
    ...(options.now ? { now: options.now } : {}),
  });
  brokersByDir.get(dir)?.push(broker);
  return broker;
}

/** Opens a broker in a new temp dir, closed when the test ends (unless the test closed it). */
export async function startBroker(t: TestContext, options: OpenOptions = {}): Promise<{ broker: Broker; dir: string }> {
  const dir = await tempDir(t);
  return { broker: await openBroker(dir, options), dir };
}

export interface BatchOptions {
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  timestamp?: number;
}

/** One v2 batch of string values. */
export function batchOf(values: readonly string[], options: BatchOptions = {}): Buffer {
  return encodeRecordBatch({
    records: values.map((value) => ({
      value: Buffer.from(value),
      ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
    })),
    ...(options.producerId !== undefined ? { producerId: options.producerId } : {}),
    ...(options.producerEpoch !== undefined ? { producerEpoch: options.producerEpoch } : {}),
    ...(options.baseSequence !== undefined ? { baseSequence: options.baseSequence } : {}),
    ...(options.timestamp !== undefined ? { now: options.timestamp } : {}),
  });
}

/** Values (with offsets) of every record in fetched bytes. */
export function recordsOf(data: Buffer): { offset: number; value: string }[] {
  return decodeRecordBatches(data).flatMap((batch) =>
    batch.records.map((record) => ({ offset: record.offset, value: record.value?.toString() ?? '' })),
  );
}

export function valuesOf(data: Buffer, fromOffset = 0): string[] {
  return recordsOf(data)
    .filter((record) => record.offset >= fromOffset)
    .map((record) => record.value);
}

export function only(results: FetchPartitionResult[]): FetchPartitionResult {
  if (results.length !== 1) throw new Error(`expected one partition result, got ${results.length}`);
  return results[0]!;
}

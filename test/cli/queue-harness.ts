import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { connect, type FerryClient, type SubscriptionDescription } from '../../src/client/index.ts';
import { type BrokerProcess, runCli, startBroker } from './helpers.ts';

/**
 * One broker process per test file for the queue CLI tests (each test uses its own topics), and
 * a client for setup and checks, so the `ferry` runs are the commands under test only (each run
 * is a Node start, seconds on a loaded machine).
 */
export interface QueueCliHarness {
  broker: BrokerProcess;
  client: FerryClient;
  /** `--broker <address>` */
  b: string[];
}

export function useQueueBroker(): QueueCliHarness {
  const cleanups: (() => unknown)[] = [];
  const harness = {} as QueueCliHarness;
  before(async () => {
    harness.broker = await startBroker({ after: (fn) => cleanups.push(fn) });
    harness.client = await connect(harness.broker.address);
    harness.b = ['--broker', harness.broker.address];
  });
  after(async () => {
    await harness.client?.close();
    for (let fn = cleanups.pop(); fn; fn = cleanups.pop()) await fn();
  });
  return harness;
}

export async function setupTopic(h: QueueCliHarness, topic: string, values: readonly string[] = [], partitions = 1): Promise<void> {
  await h.client.admin().createTopic({ name: topic, partitions });
  if (values.length > 0) {
    const producer = h.client.producer();
    await producer.send({ topic, messages: values.map((value) => ({ value })) });
    await producer.close();
  }
}

/** Runs `ferry <args> --broker ...`, asserts exit 0, returns stdout. */
export async function ok(h: QueueCliHarness, args: string[], input?: string): Promise<string> {
  const result = await runCli([...args, ...h.b], input === undefined ? {} : { input });
  assert.equal(result.code, 0, `ferry ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

export function describeSub(h: QueueCliHarness, topic: string, name: string): Promise<SubscriptionDescription> {
  return h.client.admin().describeSubscription(topic, name);
}

export function lines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line !== '');
}

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { closeAtEnd, eventually, Inbox, openQueueBroker, produce, tempDir, values } from './helpers.ts';

test('a clean restart keeps acked records acked and redelivers the unacked ones with their delivery count', async (t) => {
  const dir = await tempDir(t);
  const first = await openQueueBroker(dir);
  await first.createTopic('jobs', { partitions: 2 });
  await first.createSubscription('jobs', 's', { mode: 'shared' });
  await first.setTopicQueuePolicy('jobs', { ttlMs: 3_600_000 });
  await produce(first, 'jobs', values(10, 'a'), 0);
  await produce(first, 'jobs', values(10, 'b'), 1);
  const inbox = new Inbox();
  const consumer = await first.subscribe('jobs', 's', 'shared', { onDeliver: inbox.onDeliver });
  await inbox.waitFor(20);
  await consumer.ack(0, [0, 1, 2, 5, 9]);
  await consumer.ack(1, [0, 3]);
  await first.close();

  const second = closeAtEnd(dir, await openQueueBroker(dir));
  assert.deepEqual(second.topicQueuePolicy('jobs'), { ttlMs: 3_600_000 });
  const description = await second.describeSubscription('jobs', 's');
  assert.deepEqual(
    description.partitions.map((p) => [p.ackFloor, p.backlog]),
    [
      [3, 5],
      [1, 8],
    ],
  );
  const again = new Inbox();
  await second.subscribe('jobs', 's', 'shared', { onDeliver: again.onDeliver });
  await again.waitFor(13);
  const redelivered = again.messages.map((m) => `${m.partition}:${m.offset}`).sort();
  assert.deepEqual(redelivered, ['0:3', '0:4', '0:6', '0:7', '0:8', '1:1', '1:2', '1:4', '1:5', '1:6', '1:7', '1:8', '1:9'].sort());
  assert.ok(
    again.messages.every((m) => m.deliveryCount === 2),
    'delivered once before the restart',
  );
});

interface ChildLog {
  delivered: Set<number>;
  sending: Set<number>;
  confirmed: Set<number>;
}

/** Runs the crash child until it confirmed `stopAfter` acks, then kill -9. */
async function runAndKill(dir: string, seed: number, stopAfter: number): Promise<ChildLog> {
  const script = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));
  const child = spawn(process.execPath, [script, dir, String(seed)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const log: ChildLog = { delivered: new Set(), sending: new Set(), confirmed: new Set() };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child confirmed only ${log.confirmed.size} acks`)), 30_000);
    lines.on('line', (line) => {
      const event = JSON.parse(line) as { delivered?: number[]; sending?: number[]; confirmed?: number[] };
      for (const offset of event.delivered ?? []) log.delivered.add(offset);
      for (const offset of event.sending ?? []) log.sending.add(offset);
      for (const offset of event.confirmed ?? []) log.confirmed.add(offset);
      if (log.confirmed.size >= stopAfter) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  await exited;
  return log;
}

test('after kill -9 every unacked record is delivered again and no confirmed ack is lost', async (t) => {
  const seed = Number(process.env.FERRY_SEED ?? Date.now() % 100_000);
  t.diagnostic(`seed ${seed} (replay with FERRY_SEED=${seed})`);
  const dir = await tempDir(t);
  const log = await runAndKill(dir, seed, 40 + (seed % 60));
  assert.ok(log.confirmed.size > 0 && log.delivered.size > 0);

  const broker = closeAtEnd(dir, await openQueueBroker(dir));
  const inbox = new Inbox();
  const consumer = await broker.subscribe('jobs', 's', 'shared', { prefetch: 1000, onDeliver: inbox.onDeliver });
  inbox.onMessages = (messages) =>
    void consumer.ack(
      0,
      messages.map((m) => m.offset),
    );
  await eventually(async () => (await broker.describeSubscription('jobs', 's')).backlog === 0, 10_000, 'backlog drained');
  const redelivered = new Set(inbox.messages.map((m) => m.offset));
  const confirmedAgain = [...log.confirmed].filter((offset) => redelivered.has(offset));
  assert.deepEqual(confirmedAgain, [], 'a record whose ack was confirmed came back');
  const missing = [];
  for (let offset = 0; offset < 300; offset++) if (!log.sending.has(offset) && !redelivered.has(offset)) missing.push(offset);
  assert.deepEqual(missing, [], 'an unacked record was not delivered again');
  assert.equal(inbox.messages.length, redelivered.size, 'each redelivered once');
  for (const message of inbox.messages) {
    if (log.delivered.has(message.offset)) assert.ok(message.deliveryCount >= 1);
  }
});

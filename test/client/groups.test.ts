import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Consumer, type ConsumerMessage, connect } from '../../src/client/index.ts';
import { startRealBroker } from './real-broker.ts';

/** Reads in the background until stopped, recording every message. */
function drain(consumer: Consumer, into: ConsumerMessage[]): Promise<void> {
  return (async () => {
    try {
      for await (const message of consumer) into.push(message);
    } catch {
      // destroyed consumers end with CONNECTION_CLOSED: expected here
    }
  })();
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function values(messages: ConsumerMessage[]): Set<string> {
  return new Set(messages.map((m) => m.value!.toString()));
}

test('a member closed abruptly loses its partitions after the session timeout; nothing is skipped', async (t) => {
  const { url } = await startRealBroker(t);
  const admin = await connect(url);
  const clientA = await connect(url, { clientId: 'member-a', retryBackoffMs: 20 });
  const clientB = await connect(url, { clientId: 'member-b', retryBackoffMs: 20 });
  t.after(async () => {
    clientA.destroy();
    await clientB.close();
    await admin.close();
  });
  await admin.admin().createTopic({ name: 'shared', partitions: 3 });
  const groupOptions = {
    groupId: 'crash-group',
    topics: ['shared'],
    fromBeginning: true,
    sessionTimeoutMs: 1500,
    heartbeatIntervalMs: 200,
    autoCommitIntervalMs: 100,
  } as const;
  const consumerA = clientA.consumer(groupOptions);
  const seenA: ConsumerMessage[] = [];
  const loopA = drain(consumerA, seenA);
  await consumerA.ready();
  const consumerB = clientB.consumer(groupOptions);
  const seenB: ConsumerMessage[] = [];
  const loopB = drain(consumerB, seenB);
  await until(() => consumerA.assignment().length > 0 && consumerB.assignment().length > 0, 10_000, 'both members assigned');
  assert.equal(consumerA.assignment().length + consumerB.assignment().length, 3);

  const producer = admin.producer();
  const sent: string[] = [];
  const first = Array.from({ length: 300 }, (_, i) => ({ topic: 'shared', key: `k${i % 17}`, value: `a-${i}` }));
  await producer.sendBatch(first);
  sent.push(...first.map((r) => r.value));
  await until(() => values([...seenA, ...seenB]).size === 300, 10_000, 'the first 300 records');
  assert.ok(seenA.length > 0 && seenB.length > 0, 'both members consumed');
  // Let A commit what it processed, then crash it: socket gone, no leave, no final commit.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const ownedByA = consumerA.assignment();
  clientA.destroy();
  await loopA;
  const crashedAt = Date.now();

  const second = Array.from({ length: 300 }, (_, i) => ({ topic: 'shared', key: `k${i % 17}`, value: `b-${i}` }));
  await producer.sendBatch(second);
  sent.push(...second.map((r) => r.value));
  await until(() => consumerB.assignment().length === 3, 15_000, 'B to take over every partition');
  const tookOverMs = Date.now() - crashedAt;
  assert.ok(tookOverMs >= 1000, `takeover after the session timeout, not before (${tookOverMs} ms)`);
  await until(() => sent.every((v) => values([...seenA, ...seenB]).has(v)), 15_000, 'every record consumed');

  // At-least-once: nothing skipped; anything read twice was read by A before its crash.
  const onB = values(seenB);
  const duplicates = seenA.filter((m) => onB.has(m.value!.toString()));
  assert.ok(
    duplicates.every((m) => ownedByA.some((p) => p.partition === m.partition)),
    'only records of A’s partitions are redelivered',
  );
  // Per partition, B reads offsets in order.
  for (let partition = 0; partition < 3; partition++) {
    const offsets = seenB.filter((m) => m.partition === partition).map((m) => m.offset);
    const ordered = offsets.every((offset, i) => i === 0 || offset > offsets[i - 1]!);
    assert.ok(ordered, `partition ${partition} offsets ascend on B: ${offsets.join(',')}`);
  }
  await consumerB.close();
  await loopB;
});

test('a member that leaves cleanly hands its partitions over at once', async (t) => {
  const { url } = await startRealBroker(t);
  const client = await connect(url, { retryBackoffMs: 20 });
  t.after(() => client.close());
  await client.admin().createTopic({ name: 'handover', partitions: 2 });
  const options = { groupId: 'leave-group', topics: ['handover'], fromBeginning: true, sessionTimeoutMs: 30_000, heartbeatIntervalMs: 200 };
  const a = client.consumer(options);
  const b = client.consumer(options);
  const seenA: ConsumerMessage[] = [];
  const seenB: ConsumerMessage[] = [];
  const loopA = drain(a, seenA);
  const loopB = drain(b, seenB);
  await until(() => a.assignment().length === 1 && b.assignment().length === 1, 10_000, 'one partition each');
  const started = Date.now();
  await a.close();
  await loopA;
  await until(() => b.assignment().length === 2, 10_000, 'b takes both partitions');
  assert.ok(Date.now() - started < 5000, 'well before the 30 s session timeout');
  await b.close();
  await loopB;
});

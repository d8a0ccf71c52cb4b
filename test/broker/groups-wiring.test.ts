import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Broker } from '../../src/broker/broker.ts';
import { encodeAssignment, encodeSubscription } from '../../src/common/consumer-protocol.ts';
import { batchOf, only, openBroker, tempDir, valuesOf } from './helpers.ts';

async function joinAlone(broker: Broker, groupId: string, topic: string): Promise<{ memberId: string; generationId: number }> {
  const joined = await broker.joinGroup({
    groupId,
    memberId: '',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: encodeSubscription({ topics: [topic] }) }],
  });
  assert.equal(joined.leaderId, joined.memberId);
  const synced = await broker.syncGroup({
    groupId,
    generationId: joined.generationId,
    memberId: joined.memberId,
    assignments: [{ memberId: joined.memberId, assignment: encodeAssignment({ assignedPartitions: [{ topic, partitions: [0, 1] }] }) }],
  });
  assert.equal(synced.protocolName, 'range');
  return { memberId: joined.memberId, generationId: joined.generationId };
}

test('group calls reach the coordinator; commits land in __consumer_offsets and survive a restart', async (t) => {
  const dir = await tempDir(t);
  const first = await openBroker(dir);
  await first.createTopic('events', { partitions: 2 });
  for (let i = 0; i < 5; i++) await first.produce({ topic: 'events', partition: 0, batches: batchOf([`e${i}`]), acks: 1 });
  const member = await joinAlone(first, 'readers', 'events');
  await first.heartbeat({ groupId: 'readers', ...member });
  await first.commitOffsets({ groupId: 'readers', ...member, offsets: [{ topic: 'events', partition: 0, offset: 3, metadata: 'm' }] });
  assert.deepEqual(
    (await first.fetchOffsets('readers', [{ topic: 'events', partition: 0 }])).map((o) => [o.offset, o.metadata]),
    [[3, 'm']],
  );
  const described = first.describeGroup('readers');
  assert.equal(described.state, 'Stable');
  assert.deepEqual(described.members[0]!.assignedPartitions, [{ topic: 'events', partitions: [0, 1] }]);
  const lag = described.offsets.find((o) => o.topic === 'events' && o.partition === 0);
  assert.equal(lag?.lag, 2);
  assert.deepEqual(
    first.listGroups().map((g) => g.groupId),
    ['readers'],
  );
  // The coordinator's records are in the internal topic, readable like any other.
  const offsetsLog = only(
    await first.fetch({
      partitions: [{ topic: '__consumer_offsets', partition: 0, offset: 0, maxBytes: 1 << 20 }],
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
    }),
  );
  assert.ok(offsetsLog.records.length > 0);
  await first.leaveGroup('readers', [{ memberId: member.memberId }]);
  await first.close();

  const second = await openBroker(dir);
  assert.deepEqual(
    (await second.fetchOffsets('readers')).map((o) => [o.topic, o.partition, o.offset]),
    [['events', 0, 3]],
  );
  const fetched = only(
    await second.fetch({
      partitions: [{ topic: 'events', partition: 0, offset: 3, maxBytes: 1 << 20 }],
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
    }),
  );
  assert.deepEqual(valuesOf(fetched.records, 3), ['e3', 'e4']);
});

test('deleting a topic drops its committed offsets', async (t) => {
  const dir = await tempDir(t);
  const broker = await openBroker(dir);
  await broker.createTopic('short-lived');
  await broker.createTopic('kept');
  await broker.commitOffsets({
    groupId: 'standalone',
    generationId: -1,
    memberId: '',
    offsets: [
      { topic: 'short-lived', partition: 0, offset: 0 },
      { topic: 'kept', partition: 0, offset: 0 },
    ],
  });
  await broker.deleteTopic('short-lived');
  assert.deepEqual(
    (await broker.fetchOffsets('standalone')).map((o) => o.topic),
    ['kept'],
  );
  const results = await broker.deleteGroups(['standalone', 'never-was']);
  assert.equal(results.get('standalone'), null);
  assert.equal(results.get('never-was')?.code, 'GROUP_ID_NOT_FOUND');
});

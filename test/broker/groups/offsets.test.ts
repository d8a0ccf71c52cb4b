import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAssignment, encodeSubscription } from '../../../src/common/consumer-protocol.ts';
import { GroupCoordinator } from '../../../src/broker/groups/group-coordinator.ts';
import { decodeOffsetsTopicKey, encodeOffsetCommitKey, encodeOffsetCommitValue } from '../../../src/broker/groups/offsets-codec.ts';
import { RecordingLogger } from '../../../src/common/logger.ts';
import { encodeRecordBatch } from '../../../src/common/record-batch.ts';
import { decodeOffsetsBatches } from '../../../src/broker/groups/offsets-batch.ts';
import type { OffsetCommitRequest } from '../../../src/broker/types.ts';
import { ErrorCode, FakeTopics, joinRequest, openCoordinator, rejectsWith } from './helpers.ts';

const DAY_MS = 24 * 60 * 60 * 1_000;

function standalone(groupId: string, offsets: OffsetCommitRequest['offsets']): OffsetCommitRequest {
  return { groupId, generationId: -1, memberId: '', offsets };
}

/** One member, joined and synced: generation 1. */
async function soleMember(coordinator: GroupCoordinator, groupId = 'g1', assignment = Buffer.alloc(0)) {
  const joined = await coordinator.joinGroup(joinRequest({ groupId }));
  await coordinator.syncGroup({
    groupId,
    generationId: joined.generationId,
    memberId: joined.memberId,
    assignments: [{ memberId: joined.memberId, assignment }],
  });
  return joined;
}

/** Every key in the log, decoded, with whether its value was a tombstone. */
function logKeys(chunks: Buffer[]): { key: string; isTombstone: boolean }[] {
  const keys: { key: string; isTombstone: boolean }[] = [];
  for (const chunk of chunks) {
    for (const record of decodeOffsetsBatches(chunk)) {
      const key = decodeOffsetsTopicKey(record.key);
      keys.push({
        key: key.kind === 'offset' ? `${key.groupId}/${key.topic}/${key.partition}` : `group:${key.groupId}`,
        isTombstone: record.value === null,
      });
    }
  }
  return keys;
}

test('commit then fetch: committed values, -1 for partitions without a commit', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const member = await soleMember(coordinator);
  await coordinator.commitOffsets({
    groupId: 'g1',
    generationId: member.generationId,
    memberId: member.memberId,
    offsets: [
      { topic: 'orders', partition: 0, offset: 42, leaderEpoch: 3, metadata: 'note' },
      { topic: 'orders', partition: 1, offset: 7 },
    ],
  });
  const fetched = await coordinator.fetchOffsets('g1', [
    { topic: 'orders', partition: 0 },
    { topic: 'orders', partition: 1 },
    { topic: 'orders', partition: 2 },
  ]);
  assert.deepEqual(fetched, [
    { topic: 'orders', partition: 0, offset: 42, leaderEpoch: 3, metadata: 'note' },
    { topic: 'orders', partition: 1, offset: 7, leaderEpoch: -1, metadata: '' },
    { topic: 'orders', partition: 2, offset: -1, leaderEpoch: -1, metadata: null },
  ]);
  assert.equal((await coordinator.fetchOffsets('g1')).length, 2);
  assert.deepEqual(await coordinator.fetchOffsets('unknown-group', [{ topic: 'orders', partition: 0 }]), [
    { topic: 'orders', partition: 0, offset: -1, leaderEpoch: -1, metadata: null },
  ]);
  // A later commit overwrites.
  await coordinator.commitOffsets({
    groupId: 'g1',
    generationId: 1,
    memberId: member.memberId,
    offsets: [{ topic: 'orders', partition: 0, offset: 50 }],
  });
  assert.equal((await coordinator.fetchOffsets('g1', [{ topic: 'orders', partition: 0 }]))[0]?.offset, 50);
});

test('commits from a stale generation, an unknown member or during CompletingRebalance are refused', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const member = await soleMember(coordinator);
  const offsets = [{ topic: 'orders', partition: 0, offset: 1 }];
  await rejectsWith(
    coordinator.commitOffsets({ groupId: 'g1', generationId: 0, memberId: member.memberId, offsets }),
    ErrorCode.ILLEGAL_GENERATION,
  );
  await rejectsWith(coordinator.commitOffsets({ groupId: 'g1', generationId: 1, memberId: 'ghost', offsets }), ErrorCode.UNKNOWN_MEMBER_ID);
  await rejectsWith(coordinator.commitOffsets({ groupId: 'nope', generationId: 3, memberId: 'x', offsets }), ErrorCode.ILLEGAL_GENERATION);
  // A group with members refuses standalone commits.
  await rejectsWith(coordinator.commitOffsets(standalone('g1', offsets)), ErrorCode.UNKNOWN_MEMBER_ID);

  // A second member joins, then the first rejoins: generation 2 is completing.
  const [second, first] = await Promise.all([
    coordinator.joinGroup(joinRequest()),
    coordinator.joinGroup(joinRequest({ memberId: member.memberId })),
  ]);
  assert.equal(first.generationId, 2);
  await rejectsWith(
    coordinator.commitOffsets({ groupId: 'g1', generationId: 2, memberId: second.memberId, offsets }),
    ErrorCode.REBALANCE_IN_PROGRESS,
  );
  assert.deepEqual(await coordinator.fetchOffsets('g1'), []);
});

test('commits are accepted during PreparingRebalance from the current generation', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const member = await soleMember(coordinator);
  const newcomer = coordinator.joinGroup(joinRequest());
  assert.equal(coordinator.describeGroup('g1').state, 'PreparingRebalance');
  await coordinator.commitOffsets({
    groupId: 'g1',
    generationId: 1,
    memberId: member.memberId,
    offsets: [{ topic: 'orders', partition: 3, offset: 9 }],
  });
  assert.equal((await coordinator.fetchOffsets('g1'))[0]?.offset, 9);
  await coordinator.joinGroup(joinRequest({ memberId: member.memberId }));
  await newcomer;
});

test('standalone commits (generation -1, no member) create an offsets-only group', async (t) => {
  const { coordinator } = await openCoordinator(t);
  await coordinator.commitOffsets(standalone('tool', [{ topic: 'payments', partition: 1, offset: 100 }]));
  assert.equal((await coordinator.fetchOffsets('tool'))[0]?.offset, 100);
  assert.deepEqual(coordinator.listGroups(), [{ groupId: 'tool', protocolType: '', state: 'Empty' }]);
  // Members can still join it later.
  const joined = await coordinator.joinGroup(joinRequest({ groupId: 'tool' }));
  assert.equal(joined.generationId, 1);
});

test('commit validation is all or nothing: unknown partitions, metadata too large', async (t) => {
  const { coordinator } = await openCoordinator(t, { config: { offsetMetadataMaxBytes: 8 } });
  const error = await rejectsWith(
    coordinator.commitOffsets(
      standalone('g1', [
        { topic: 'orders', partition: 0, offset: 1 },
        { topic: 'orders', partition: 99, offset: 1 },
        { topic: 'ghost', partition: 0, offset: 1 },
      ]),
    ),
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  );
  assert.deepEqual(error.details?.partitions, [
    { topic: 'orders', partition: 99, code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    { topic: 'ghost', partition: 0, code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
  ]);
  await rejectsWith(
    coordinator.commitOffsets(standalone('g1', [{ topic: 'orders', partition: 0, offset: 1, metadata: 'x'.repeat(9) }])),
    ErrorCode.OFFSET_METADATA_TOO_LARGE,
  );
  assert.deepEqual(await coordinator.fetchOffsets('g1'), []);
});

test('a failed write commits nothing and says why', async (t) => {
  const { coordinator, log } = await openCoordinator(t);
  log.failNextAppend = Object.assign(new Error('no space left'), { code: 'ENOSPC' });
  await rejectsWith(coordinator.commitOffsets(standalone('g1', [{ topic: 'orders', partition: 0, offset: 5 }])), ErrorCode.DISK_FULL);
  assert.deepEqual(await coordinator.fetchOffsets('g1'), []);
});

test('offsets and group metadata survive a coordinator reload from the same offsets log', async (t) => {
  const harness = await openCoordinator(t);
  const { coordinator } = harness;
  const member = await soleMember(coordinator, 'g1', Buffer.from('assignment-bytes'));
  await coordinator.commitOffsets({
    groupId: 'g1',
    generationId: 1,
    memberId: member.memberId,
    offsets: [
      { topic: 'orders', partition: 0, offset: 10, leaderEpoch: 2, metadata: 'm' },
      { topic: 'payments', partition: 1, offset: 20 },
    ],
  });
  await coordinator.commitOffsets({
    groupId: 'g1',
    generationId: 1,
    memberId: member.memberId,
    offsets: [{ topic: 'orders', partition: 0, offset: 11 }],
  });
  await coordinator.commitOffsets(standalone('other', [{ topic: 'orders', partition: 3, offset: 3 }]));
  await coordinator.close();

  const reloaded = await harness.reopen();
  assert.deepEqual(
    await reloaded.fetchOffsets('g1', [
      { topic: 'orders', partition: 0 },
      { topic: 'payments', partition: 1 },
    ]),
    [
      { topic: 'orders', partition: 0, offset: 11, leaderEpoch: -1, metadata: '' },
      { topic: 'payments', partition: 1, offset: 20, leaderEpoch: -1, metadata: '' },
    ],
  );
  assert.equal((await reloaded.fetchOffsets('other'))[0]?.offset, 3);

  // The Stable group comes back with its member, who carries on without rejoining.
  const described = reloaded.describeGroup('g1');
  assert.equal(described.state, 'Stable');
  assert.equal(described.generationId, 1);
  assert.equal(described.leaderId, member.memberId);
  assert.deepEqual(described.members[0]?.assignment, Buffer.from('assignment-bytes'));
  await reloaded.heartbeat({ groupId: 'g1', generationId: 1, memberId: member.memberId });
  const synced = await reloaded.syncGroup({ groupId: 'g1', generationId: 1, memberId: member.memberId, assignments: [] });
  assert.deepEqual(synced.assignment, Buffer.from('assignment-bytes'));
});

test('a restored member that never comes back expires, and the group goes Empty', async (t) => {
  const harness = await openCoordinator(t);
  const joined = await harness.coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 60 }));
  await harness.coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: joined.memberId, assignments: [] });
  await harness.coordinator.close();
  const reloaded = await harness.reopen();
  assert.equal(reloaded.describeGroup('g1').state, 'Stable');
  const deadline = Date.now() + 5_000;
  while (reloaded.describeGroup('g1').state !== 'Empty') {
    assert.ok(Date.now() < deadline, 'the restored member should expire');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(reloaded.describeGroup('g1').generationId, 2);
});

test('deleteGroups: refused for groups with members, tombstones for empty ones, unknown groups reported', async (t) => {
  const harness = await openCoordinator(t);
  const { coordinator, log } = harness;
  await soleMember(coordinator, 'busy');
  await coordinator.commitOffsets(
    standalone('idle', [
      { topic: 'orders', partition: 0, offset: 5 },
      { topic: 'orders', partition: 1, offset: 6 },
    ]),
  );

  const results = await coordinator.deleteGroups(['busy', 'idle', 'missing', 'idle']);
  assert.equal(results.get('busy')?.code, ErrorCode.NON_EMPTY_GROUP);
  assert.equal(results.get('idle'), null);
  assert.equal(results.get('missing')?.code, ErrorCode.GROUP_ID_NOT_FOUND);
  assert.equal(results.size, 3);
  assert.deepEqual(await coordinator.fetchOffsets('idle'), []);
  assert.equal(coordinator.describeGroup('idle').state, 'Dead');
  assert.deepEqual(
    coordinator.listGroups().map((group) => group.groupId),
    ['busy'],
  );

  const tombstones = logKeys(log.chunks).filter((entry) => entry.isTombstone);
  assert.deepEqual(tombstones.map((entry) => entry.key).sort(), ['group:idle', 'idle/orders/0', 'idle/orders/1']);
  await coordinator.close();
  const reloaded = await harness.reopen();
  assert.deepEqual(await reloaded.fetchOffsets('idle'), [], 'tombstones win on replay');
  assert.deepEqual(
    reloaded.listGroups().map((group) => group.groupId),
    ['busy'],
  );
});

test('offsets of an empty group expire after offsetsRetentionMs, with tombstones', async (t) => {
  const harness = await openCoordinator(t, { config: { offsetsRetentionMs: 7 * DAY_MS } });
  const { coordinator, clock, log } = harness;
  const member = await soleMember(coordinator);
  await coordinator.commitOffsets({
    groupId: 'g1',
    generationId: 1,
    memberId: member.memberId,
    offsets: [{ topic: 'orders', partition: 0, offset: 8 }],
  });
  await coordinator.commitOffsets(standalone('standalone', [{ topic: 'orders', partition: 1, offset: 9 }]));

  // A group with members keeps its offsets however old they are.
  clock.advance(30 * DAY_MS);
  assert.equal(await coordinator.expireOffsets(), 1, 'only the standalone commit expired');
  assert.equal((await coordinator.fetchOffsets('g1'))[0]?.offset, 8);
  assert.deepEqual(await coordinator.fetchOffsets('standalone'), []);
  assert.ok(!coordinator.listGroups().some((group) => group.groupId === 'standalone'), 'a group left with nothing goes');

  // Once empty, the retention counts from when the group became empty.
  await coordinator.leaveGroup('g1', [{ memberId: member.memberId }]);
  clock.advance(7 * DAY_MS - 1);
  assert.equal(await coordinator.expireOffsets(), 0);
  clock.advance(1);
  assert.equal(await coordinator.expireOffsets(), 1);
  assert.deepEqual(await coordinator.fetchOffsets('g1'), []);
  assert.equal(coordinator.describeGroup('g1').state, 'Dead');

  const tombstones = logKeys(log.chunks)
    .filter((entry) => entry.isTombstone)
    .map((entry) => entry.key);
  assert.deepEqual(tombstones.sort(), ['g1/orders/0', 'group:g1', 'standalone/orders/1']);
  await coordinator.close();
  const reloaded = await harness.reopen();
  assert.deepEqual(reloaded.listGroups(), []);
});

test('a Stable consumer group loses, after the retention, offsets of topics no member subscribes to', async (t) => {
  const { coordinator, clock } = await openCoordinator(t);
  const subscription = encodeSubscription({ topics: ['orders'] });
  const joined = await coordinator.joinGroup(joinRequest({ protocols: [{ name: 'range', metadata: subscription }] }));
  await coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: joined.memberId, assignments: [] });
  await coordinator.commitOffsets({
    groupId: 'g1',
    generationId: 1,
    memberId: joined.memberId,
    offsets: [
      { topic: 'orders', partition: 0, offset: 1 },
      { topic: 'payments', partition: 0, offset: 2 },
    ],
  });
  clock.advance(7 * DAY_MS);
  assert.equal(await coordinator.expireOffsets(), 1);
  assert.deepEqual(
    (await coordinator.fetchOffsets('g1')).map((offset) => offset.topic),
    ['orders'],
  );
});

test('describeGroup: members with decoded assignments, committed offsets and lag', async (t) => {
  const { coordinator, topics } = await openCoordinator(t);
  topics.set('orders', 0, { logStartOffset: 0, highWatermark: 100, logEndOffset: 100 });
  topics.set('orders', 1, { logStartOffset: 10, highWatermark: 50, logEndOffset: 55 });
  topics.set('payments', 0, { logStartOffset: 0, highWatermark: 30 });
  const joined = await coordinator.joinGroup(joinRequest({ clientId: 'describer', clientHost: '/10.0.0.7' }));
  const assignment = encodeAssignment({ assignedPartitions: [{ topic: 'orders', partitions: [0, 1] }] });
  await coordinator.syncGroup({
    groupId: 'g1',
    generationId: 1,
    memberId: joined.memberId,
    assignments: [{ memberId: joined.memberId, assignment }],
  });
  await coordinator.commitOffsets({
    groupId: 'g1',
    generationId: 1,
    memberId: joined.memberId,
    offsets: [
      { topic: 'orders', partition: 0, offset: 60 },
      { topic: 'payments', partition: 0, offset: 30 },
    ],
  });

  const described = coordinator.describeGroup('g1');
  assert.equal(described.state, 'Stable');
  assert.equal(described.protocolType, 'consumer');
  assert.equal(described.protocolName, 'range');
  assert.equal(described.generationId, 1);
  assert.equal(described.members.length, 1);
  const [member] = described.members;
  assert.equal(member?.clientId, 'describer');
  assert.equal(member?.clientHost, '/10.0.0.7');
  assert.deepEqual(member?.assignedPartitions, [{ topic: 'orders', partitions: [0, 1] }]);
  assert.deepEqual(described.offsets, [
    { topic: 'orders', partition: 0, committedOffset: 60, logEndOffset: 100, lag: 40, memberId: joined.memberId },
    // Nothing committed: lag from the log start, to the high watermark.
    { topic: 'orders', partition: 1, committedOffset: -1, logEndOffset: 55, lag: 40, memberId: joined.memberId },
    { topic: 'payments', partition: 0, committedOffset: 30, logEndOffset: 30, lag: 0, memberId: null },
  ]);
  assert.deepEqual(coordinator.describeGroup('nope'), {
    groupId: 'nope',
    state: 'Dead',
    protocolType: '',
    protocolName: '',
    generationId: -1,
    leaderId: null,
    members: [],
    offsets: [],
  });
});

test('deleteTopicOffsets removes a deleted topic from every group', async (t) => {
  const harness = await openCoordinator(t);
  const { coordinator } = harness;
  await coordinator.commitOffsets(
    standalone('a', [
      { topic: 'orders', partition: 0, offset: 1 },
      { topic: 'payments', partition: 0, offset: 2 },
    ]),
  );
  await coordinator.commitOffsets(standalone('b', [{ topic: 'orders', partition: 2, offset: 3 }]));
  await coordinator.deleteTopicOffsets('orders');
  assert.deepEqual(
    (await coordinator.fetchOffsets('a')).map((offset) => offset.topic),
    ['payments'],
  );
  assert.deepEqual(await coordinator.fetchOffsets('b'), []);
  await coordinator.close();
  const reloaded = await harness.reopen();
  assert.deepEqual(await reloaded.fetchOffsets('b'), []);
});

test('a commit in flight when its group is deleted does not come back, in memory or on reload', async (t) => {
  const harness = await openCoordinator(t);
  const { coordinator, log } = harness;
  await coordinator.commitOffsets(standalone('g1', [{ topic: 'orders', partition: 0, offset: 1 }]));
  log.isHolding = true;
  const inFlight = coordinator.commitOffsets(standalone('g1', [{ topic: 'orders', partition: 0, offset: 2 }]));
  // Expiry leaves a group with a commit in flight alone, however old its offsets.
  harness.clock.advance(30 * DAY_MS);
  assert.equal(await coordinator.expireOffsets(), 0);
  assert.equal((await coordinator.fetchOffsets('g1'))[0]?.offset, 1, 'not applied before its write resolves');
  const deleted = coordinator.deleteGroups(['g1']);
  log.releaseHeld();
  await inFlight;
  assert.equal((await deleted).get('g1'), null);
  assert.deepEqual(await coordinator.fetchOffsets('g1'), []);
  await coordinator.close();
  const reloaded = await harness.reopen();
  assert.deepEqual(await reloaded.fetchOffsets('g1'), []);
});

test('replay skips control batches and undecodable records, and ignores a trailing partial batch', async (t) => {
  const commit = (offset: number) => ({
    key: encodeOffsetCommitKey('g1', 'orders', 0),
    value: encodeOffsetCommitValue({ offset, leaderEpoch: -1, metadata: '', commitTimestampMs: 1 }),
  });
  const good = encodeRecordBatch({ records: [commit(5)] });
  const later = encodeRecordBatch({ records: [commit(6), { key: Buffer.from([0, 9, 1]), value: Buffer.from('junk') }] });
  const control = encodeRecordBatch({ records: [commit(99)], isControl: true });
  const chunks = [Buffer.concat([good, later.subarray(0, 20)]), Buffer.concat([later, control])];
  const logger = new RecordingLogger();
  const coordinator = new GroupCoordinator({
    config: {
      groupMinSessionTimeoutMs: 10,
      groupMaxSessionTimeoutMs: 60_000,
      groupInitialRebalanceDelayMs: 0,
      groupMaxSize: 10,
      offsetsRetentionMs: DAY_MS,
    },
    logger,
    offsetsLog: {
      append: async () => {},
      async *readAll() {
        yield* chunks;
      },
    },
    topicInfo: new FakeTopics().info,
  });
  t.after(() => coordinator.close());
  await coordinator.load();
  assert.equal((await coordinator.fetchOffsets('g1'))[0]?.offset, 6);
  assert.ok(logger.lines.some((line) => line.level === 'warn' && line.msg?.includes('undecodable')));
});

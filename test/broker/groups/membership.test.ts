import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupCoordinator } from '../../../src/broker/groups/group-coordinator.ts';
import { silentLogger } from '../../../src/common/logger.ts';
import type { JoinGroupResult } from '../../../src/broker/types.ts';
import {
  ErrorCode,
  FakeTopics,
  isSettled,
  joinRequest,
  openCoordinator,
  RANGE,
  ROUND_ROBIN,
  rejectsWith,
  waitFor,
  MemoryOffsetsLog,
  TEST_GROUP_CONFIG,
} from './helpers.ts';

/** Two members join together and sync; returns both JoinGroup answers, leader first. */
async function stableGroupOfTwo(coordinator: GroupCoordinator, overrides: Parameters<typeof joinRequest>[0] = {}) {
  const [a, b] = await Promise.all([
    coordinator.joinGroup(joinRequest({ clientId: 'a', ...overrides })),
    coordinator.joinGroup(joinRequest({ clientId: 'b', ...overrides })),
  ]);
  const leader = a.memberId === a.leaderId ? a : b;
  const follower = leader === a ? b : a;
  const assignments = [
    { memberId: leader.memberId, assignment: Buffer.from('to-leader') },
    { memberId: follower.memberId, assignment: Buffer.from('to-follower') },
  ];
  await Promise.all([
    coordinator.syncGroup({ groupId: 'g1', generationId: leader.generationId, memberId: leader.memberId, assignments }),
    coordinator.syncGroup({ groupId: 'g1', generationId: follower.generationId, memberId: follower.memberId, assignments: [] }),
  ]);
  return { leader, follower };
}

function heartbeatOf(coordinator: GroupCoordinator, result: JoinGroupResult, groupInstanceId?: string | null) {
  return coordinator.heartbeat({ groupId: 'g1', generationId: result.generationId, memberId: result.memberId, groupInstanceId });
}

test('two members join: one leader, same generation, the leader sees all metadata', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const [a, b] = await Promise.all([
    coordinator.joinGroup(joinRequest({ clientId: 'a' })),
    coordinator.joinGroup(joinRequest({ clientId: 'b' })),
  ]);
  assert.equal(a.generationId, 1);
  assert.equal(b.generationId, 1);
  assert.equal(a.leaderId, b.leaderId);
  assert.notEqual(a.memberId, b.memberId);
  assert.ok(a.memberId.startsWith('a-'));
  assert.equal(a.protocolType, 'consumer');
  assert.equal(a.protocolName, 'range');
  const leader = a.leaderId === a.memberId ? a : b;
  const follower = leader === a ? b : a;
  assert.deepEqual(leader.members.map((member) => member.memberId).sort(), [a.memberId, b.memberId].sort());
  assert.deepEqual(leader.members[0]?.metadata, RANGE.metadata);
  assert.deepEqual(follower.members, []);
  assert.equal(coordinator.describeGroup('g1').state, 'CompletingRebalance');
});

test('SyncGroup: followers that sync first wait for the leader, then everyone gets its assignment', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const [a, b] = await Promise.all([coordinator.joinGroup(joinRequest()), coordinator.joinGroup(joinRequest())]);
  const leader = a.leaderId === a.memberId ? a : b;
  const follower = leader === a ? b : a;

  const followerSync = coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: follower.memberId, assignments: [] });
  assert.equal(await isSettled(followerSync), false, 'the follower waits for the leader');
  const leaderSync = coordinator.syncGroup({
    groupId: 'g1',
    generationId: 1,
    memberId: leader.memberId,
    assignments: [
      { memberId: leader.memberId, assignment: Buffer.from('L') },
      { memberId: follower.memberId, assignment: Buffer.from('F') },
      { memberId: 'not-a-member', assignment: Buffer.from('ignored') },
    ],
  });
  const [fromFollower, fromLeader] = await Promise.all([followerSync, leaderSync]);
  assert.deepEqual(fromFollower, { protocolType: 'consumer', protocolName: 'range', assignment: Buffer.from('F') });
  assert.deepEqual(fromLeader.assignment, Buffer.from('L'));
  assert.equal(coordinator.describeGroup('g1').state, 'Stable');

  // In a Stable group SyncGroup answers the current assignment at once.
  const again = await coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: follower.memberId, assignments: [] });
  assert.deepEqual(again.assignment, Buffer.from('F'));
  await heartbeatOf(coordinator, follower);
});

test('a third member joins: others get REBALANCE_IN_PROGRESS on heartbeat, rejoin, new generation', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const { leader, follower } = await stableGroupOfTwo(coordinator);

  const third = coordinator.joinGroup(joinRequest({ clientId: 'c' }));
  assert.equal(coordinator.describeGroup('g1').state, 'PreparingRebalance');
  await rejectsWith(heartbeatOf(coordinator, leader), ErrorCode.REBALANCE_IN_PROGRESS);
  await rejectsWith(heartbeatOf(coordinator, follower), ErrorCode.REBALANCE_IN_PROGRESS);
  // SyncGroup of the old generation during the join phase is refused the same way.
  await rejectsWith(
    coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: follower.memberId, assignments: [] }),
    ErrorCode.REBALANCE_IN_PROGRESS,
  );
  assert.equal(await isSettled(third), false, 'the new member waits for the others to rejoin');

  const [c, a, b] = await Promise.all([
    third,
    coordinator.joinGroup(joinRequest({ memberId: leader.memberId })),
    coordinator.joinGroup(joinRequest({ memberId: follower.memberId })),
  ]);
  for (const result of [a, b, c]) assert.equal(result.generationId, 2);
  assert.equal(a.leaderId, leader.memberId, 'the leader stays the leader');
  assert.equal(a.members.length, 3);
  // The old generation is fenced.
  await rejectsWith(heartbeatOf(coordinator, leader), ErrorCode.ILLEGAL_GENERATION);
  await rejectsWith(
    coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: leader.memberId, assignments: [] }),
    ErrorCode.ILLEGAL_GENERATION,
  );
});

test('a member that stops heartbeating is removed after its session timeout and the group rebalances', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const [a, b] = await Promise.all([
    coordinator.joinGroup(joinRequest({ clientId: 'steady', sessionTimeoutMs: 10_000 })),
    coordinator.joinGroup(joinRequest({ clientId: 'silent', sessionTimeoutMs: 80 })),
  ]);
  const leader = a.leaderId === a.memberId ? a : b;
  await Promise.all([
    coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: leader.memberId, assignments: [] }),
    coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: (leader === a ? b : a).memberId, assignments: [] }),
  ]);
  assert.equal(coordinator.describeGroup('g1').members.length, 2);

  await waitFor(() => coordinator.describeGroup('g1').members.length === 1, 'the silent member to expire');
  assert.equal(coordinator.describeGroup('g1').members[0]?.memberId, a.memberId);
  // With only one member left, its rejoin completes the rebalance at once.
  const state = coordinator.describeGroup('g1').state;
  assert.ok(state === 'PreparingRebalance', state);
  await rejectsWith(heartbeatOf(coordinator, a), ErrorCode.REBALANCE_IN_PROGRESS);
  const rejoined = await coordinator.joinGroup(joinRequest({ memberId: a.memberId, sessionTimeoutMs: 10_000 }));
  assert.equal(rejoined.generationId, 2);
  assert.equal(rejoined.leaderId, a.memberId);
  assert.equal(rejoined.members.length, 1);
});

test('members that do not rejoin within the rebalance timeout are dropped from the new generation', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const { leader, follower } = await stableGroupOfTwo(coordinator, { rebalanceTimeoutMs: 100 });
  const started = Date.now();
  const rejoin = await coordinator.joinGroup(joinRequest({ memberId: leader.memberId, rebalanceTimeoutMs: 100 }));
  assert.ok(Date.now() - started >= 90, 'the rejoin waited for the rebalance timeout');
  assert.equal(rejoin.generationId, 2);
  assert.deepEqual(
    rejoin.members.map((member) => member.memberId),
    [leader.memberId],
  );
  await rejectsWith(heartbeatOf(coordinator, follower), ErrorCode.UNKNOWN_MEMBER_ID);
});

test('a member that gets its generation but never syncs is removed after the rebalance timeout', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const [a, b] = await Promise.all([
    coordinator.joinGroup(joinRequest({ rebalanceTimeoutMs: 100 })),
    coordinator.joinGroup(joinRequest({ rebalanceTimeoutMs: 100 })),
  ]);
  const leader = a.leaderId === a.memberId ? a : b;
  const follower = leader === a ? b : a;
  await coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: leader.memberId, assignments: [] });
  await waitFor(() => coordinator.describeGroup('g1').members.length === 1, 'the member that never synced to go');
  await rejectsWith(heartbeatOf(coordinator, follower), ErrorCode.UNKNOWN_MEMBER_ID);
  await rejectsWith(heartbeatOf(coordinator, leader), ErrorCode.REBALANCE_IN_PROGRESS);
});

test('LeaveGroup removes the member and the rest rebalance', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const { leader, follower } = await stableGroupOfTwo(coordinator);
  await coordinator.leaveGroup('g1', [{ memberId: leader.memberId }]);
  const described = coordinator.describeGroup('g1');
  assert.equal(described.state, 'PreparingRebalance');
  assert.deepEqual(
    described.members.map((member) => member.memberId),
    [follower.memberId],
  );
  assert.equal(described.leaderId, follower.memberId, 'leadership passes to a remaining member');
  await rejectsWith(heartbeatOf(coordinator, follower), ErrorCode.REBALANCE_IN_PROGRESS);
  const rejoined = await coordinator.joinGroup(joinRequest({ memberId: follower.memberId }));
  assert.equal(rejoined.generationId, 2);
  assert.equal(rejoined.leaderId, follower.memberId);

  // The last member leaving empties the group (and bumps the generation, as Kafka does).
  await coordinator.syncGroup({ groupId: 'g1', generationId: 2, memberId: follower.memberId, assignments: [] });
  await coordinator.leaveGroup('g1', [{ memberId: follower.memberId }]);
  assert.equal(coordinator.describeGroup('g1').state, 'Empty');
  assert.equal(coordinator.describeGroup('g1').generationId, 3);
});

test('LeaveGroup of unknown members reports each outcome and still removes the known ones', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const { leader } = await stableGroupOfTwo(coordinator);
  const error = await rejectsWith(
    coordinator.leaveGroup('g1', [{ memberId: 'nobody' }, { memberId: leader.memberId }]),
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
  assert.deepEqual(error.details?.members, [
    { memberId: 'nobody', groupInstanceId: null, code: ErrorCode.UNKNOWN_MEMBER_ID },
    { memberId: leader.memberId, groupInstanceId: null, code: null },
  ]);
  assert.equal(coordinator.describeGroup('g1').members.length, 1);
  await rejectsWith(coordinator.leaveGroup('no-such-group', [{ memberId: 'x' }]), ErrorCode.UNKNOWN_MEMBER_ID);
});

test('stale members are fenced: unknown member, old generation', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const { leader } = await stableGroupOfTwo(coordinator);
  await rejectsWith(coordinator.heartbeat({ groupId: 'g1', generationId: 1, memberId: 'ghost' }), ErrorCode.UNKNOWN_MEMBER_ID);
  await rejectsWith(coordinator.heartbeat({ groupId: 'g1', generationId: 0, memberId: leader.memberId }), ErrorCode.ILLEGAL_GENERATION);
  await rejectsWith(
    coordinator.syncGroup({ groupId: 'g1', generationId: 7, memberId: leader.memberId, assignments: [] }),
    ErrorCode.ILLEGAL_GENERATION,
  );
  await rejectsWith(
    coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: 'ghost', assignments: [] }),
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
  await rejectsWith(coordinator.heartbeat({ groupId: 'nope', generationId: 1, memberId: 'x' }), ErrorCode.UNKNOWN_MEMBER_ID);
  await rejectsWith(coordinator.joinGroup(joinRequest({ groupId: 'nope', memberId: 'stale-id' })), ErrorCode.UNKNOWN_MEMBER_ID);
  await rejectsWith(coordinator.joinGroup(joinRequest({ memberId: 'stale-id' })), ErrorCode.UNKNOWN_MEMBER_ID);
});

test('protocol selection: a protocol every member supports, chosen by vote', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const sticky = { name: 'sticky', metadata: Buffer.from('s') };
  const results = await Promise.all([
    coordinator.joinGroup(joinRequest({ protocols: [ROUND_ROBIN, RANGE, sticky] })),
    coordinator.joinGroup(joinRequest({ protocols: [RANGE, ROUND_ROBIN] })),
    coordinator.joinGroup(joinRequest({ protocols: [sticky, RANGE, ROUND_ROBIN] })),
  ]);
  // Candidates: range and roundrobin. Votes: roundrobin 1, range 2.
  for (const result of results) assert.equal(result.protocolName, 'range');
  const leader = results.find((result) => result.memberId === result.leaderId)!;
  for (const member of leader.members) assert.deepEqual(member.metadata, RANGE.metadata);
});

test('INCONSISTENT_GROUP_PROTOCOL when the protocol type differs or nothing is in common', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const first = coordinator.joinGroup(joinRequest({ protocols: [RANGE], rebalanceTimeoutMs: 100 }));
  await rejectsWith(coordinator.joinGroup(joinRequest({ protocols: [ROUND_ROBIN] })), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  await rejectsWith(coordinator.joinGroup(joinRequest({ protocolType: 'connect' })), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  await rejectsWith(coordinator.joinGroup(joinRequest({ groupId: 'g2', protocols: [] })), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const joined = await first;
  assert.equal(joined.members.length, 1);
  assert.deepEqual(
    coordinator.listGroups().map((group) => group.groupId),
    ['g1'],
    'a refused first join leaves no group behind',
  );
});

test('join validation: group id, session timeout bounds, metadata size', async (t) => {
  const { coordinator } = await openCoordinator(t, { config: { groupMaxMemberMetadataBytes: 64 } });
  await rejectsWith(coordinator.joinGroup(joinRequest({ groupId: '' })), ErrorCode.INVALID_GROUP_ID);
  await rejectsWith(coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 5 })), ErrorCode.INVALID_SESSION_TIMEOUT);
  await rejectsWith(coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 60_001 })), ErrorCode.INVALID_SESSION_TIMEOUT);
  await rejectsWith(
    coordinator.joinGroup(joinRequest({ protocols: [{ name: 'range', metadata: Buffer.alloc(65) }] })),
    ErrorCode.INVALID_REQUEST,
  );
  assert.deepEqual(coordinator.listGroups(), []);
});

test('group.max.size: GROUP_MAX_SIZE_REACHED for a member beyond it', async (t) => {
  const { coordinator } = await openCoordinator(t, { config: { groupMaxSize: 2 } });
  await stableGroupOfTwo(coordinator);
  await rejectsWith(coordinator.joinGroup(joinRequest({ clientId: 'c' })), ErrorCode.GROUP_MAX_SIZE_REACHED);
  assert.equal(coordinator.describeGroup('g1').state, 'Stable', 'a refused member does not disturb the group');
  // Ids handed out with MEMBER_ID_REQUIRED count too, so that first joins cannot pile up.
  const { coordinator: other } = await openCoordinator(t, { config: { groupMaxSize: 1 } });
  await rejectsWith(other.joinGroup(joinRequest({ requireKnownMemberId: true })), ErrorCode.MEMBER_ID_REQUIRED);
  await rejectsWith(other.joinGroup(joinRequest({ requireKnownMemberId: true })), ErrorCode.GROUP_MAX_SIZE_REACHED);
});

test('groupMaxCount bounds the number of groups', async (t) => {
  const { coordinator } = await openCoordinator(t, { config: { groupMaxCount: 1 } });
  const first = coordinator.joinGroup(joinRequest({ groupId: 'one' }));
  await rejectsWith(coordinator.joinGroup(joinRequest({ groupId: 'two' })), ErrorCode.TOO_MANY_GROUPS);
  await rejectsWith(
    coordinator.commitOffsets({
      groupId: 'three',
      generationId: -1,
      memberId: '',
      offsets: [{ topic: 'orders', partition: 0, offset: 1 }],
    }),
    ErrorCode.TOO_MANY_GROUPS,
  );
  await first;
});

test('MEMBER_ID_REQUIRED: the first join gets an id, the second join with it enters the group', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const error = await rejectsWith(coordinator.joinGroup(joinRequest({ requireKnownMemberId: true })), ErrorCode.MEMBER_ID_REQUIRED);
  const memberId = error.details?.memberId;
  assert.equal(typeof memberId, 'string');
  const joined = await coordinator.joinGroup(joinRequest({ memberId: memberId as string, requireKnownMemberId: true }));
  assert.equal(joined.memberId, memberId);
  assert.equal(joined.leaderId, memberId);
  assert.equal(joined.generationId, 1);
});

test('a pending member id that is never used is forgotten after the session timeout', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const { leader, follower } = await stableGroupOfTwo(coordinator);
  const error = await rejectsWith(
    coordinator.joinGroup(joinRequest({ requireKnownMemberId: true, sessionTimeoutMs: 50 })),
    ErrorCode.MEMBER_ID_REQUIRED,
  );
  // A rebalance now waits for the pending member too, until its id expires.
  const started = Date.now();
  const [a, b] = await Promise.all([
    coordinator.joinGroup(joinRequest({ memberId: leader.memberId })),
    coordinator.joinGroup(joinRequest({ memberId: follower.memberId })),
  ]);
  assert.ok(Date.now() - started >= 40, 'the join phase waited for the pending member');
  assert.equal(a.generationId, 2);
  assert.equal(b.members.length + a.members.length, 2);
  await rejectsWith(coordinator.joinGroup(joinRequest({ memberId: error.details?.memberId as string })), ErrorCode.UNKNOWN_MEMBER_ID);
});

test('in a Stable group a follower rejoining with the same metadata gets the current generation', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const { leader, follower } = await stableGroupOfTwo(coordinator);
  const again = await coordinator.joinGroup(joinRequest({ memberId: follower.memberId }));
  assert.equal(again.generationId, 1);
  assert.deepEqual(again.members, []);
  assert.equal(coordinator.describeGroup('g1').state, 'Stable');
  // New metadata forces a rebalance.
  const changed = coordinator.joinGroup(joinRequest({ memberId: follower.memberId, protocols: [RANGE, ROUND_ROBIN] }));
  assert.equal(coordinator.describeGroup('g1').state, 'PreparingRebalance');
  const [c, l] = await Promise.all([changed, coordinator.joinGroup(joinRequest({ memberId: leader.memberId }))]);
  assert.equal(c.generationId, 2);
  assert.equal(l.generationId, 2);
});

test('in a Stable group a JoinGroup from the leader always rebalances', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const { leader, follower } = await stableGroupOfTwo(coordinator);
  const fromLeader = coordinator.joinGroup(joinRequest({ memberId: leader.memberId }));
  assert.equal(coordinator.describeGroup('g1').state, 'PreparingRebalance');
  const [l] = await Promise.all([fromLeader, coordinator.joinGroup(joinRequest({ memberId: follower.memberId }))]);
  assert.equal(l.generationId, 2);
});

test('static membership: a restarted instance takes its old place without a rebalance; the old id is fenced', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const [a, b] = await Promise.all([
    coordinator.joinGroup(joinRequest({ groupInstanceId: 'instance-a' })),
    coordinator.joinGroup(joinRequest({ groupInstanceId: 'instance-b' })),
  ]);
  const leader = a.leaderId === a.memberId ? a : b;
  await Promise.all([
    coordinator.syncGroup({
      groupId: 'g1',
      generationId: 1,
      memberId: leader.memberId,
      assignments: [
        { memberId: a.memberId, assignment: Buffer.from('for-a') },
        { memberId: b.memberId, assignment: Buffer.from('for-b') },
      ],
    }),
    coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: (leader === a ? b : a).memberId, assignments: [] }),
  ]);

  // instance-a restarts: it joins without a member id.
  const restarted = await coordinator.joinGroup(joinRequest({ groupInstanceId: 'instance-a' }));
  assert.notEqual(restarted.memberId, a.memberId);
  assert.ok(restarted.memberId.startsWith('instance-a-'));
  assert.equal(restarted.generationId, 1, 'no new generation');
  assert.equal(restarted.leaderId, leader.memberId, 'the old leader id is returned so no one reassigns');
  assert.deepEqual(restarted.members, []);
  assert.equal(coordinator.describeGroup('g1').state, 'Stable');
  const synced = await coordinator.syncGroup({
    groupId: 'g1',
    generationId: 1,
    memberId: restarted.memberId,
    groupInstanceId: 'instance-a',
    assignments: [],
  });
  assert.deepEqual(synced.assignment, Buffer.from('for-a'), 'the old assignment is kept');
  await heartbeatOf(coordinator, b, 'instance-b');

  // The old incarnation is a zombie now.
  await rejectsWith(heartbeatOf(coordinator, a, 'instance-a'), ErrorCode.FENCED_INSTANCE_ID);
  await rejectsWith(
    coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: a.memberId, groupInstanceId: 'instance-a', assignments: [] }),
    ErrorCode.FENCED_INSTANCE_ID,
  );
  await rejectsWith(
    coordinator.joinGroup(joinRequest({ memberId: a.memberId, groupInstanceId: 'instance-a' })),
    ErrorCode.FENCED_INSTANCE_ID,
  );
  await rejectsWith(
    coordinator.commitOffsets({
      groupId: 'g1',
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: 'instance-a',
      offsets: [{ topic: 'orders', partition: 0, offset: 5 }],
    }),
    ErrorCode.FENCED_INSTANCE_ID,
  );
  if (a.memberId === leader.memberId)
    assert.equal(coordinator.describeGroup('g1').leaderId, restarted.memberId, 'leadership moved with the instance');
});

test('static membership: a rejoin with changed metadata rebalances; a static member leaves by instance id', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const [a, b] = await Promise.all([
    coordinator.joinGroup(joinRequest({ groupInstanceId: 'ia' })),
    coordinator.joinGroup(joinRequest({ groupInstanceId: 'ib' })),
  ]);
  await Promise.all(
    [a, b].map((result) => coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: result.memberId, assignments: [] })),
  );
  const changed = coordinator.joinGroup(joinRequest({ groupInstanceId: 'ia', protocols: [RANGE, ROUND_ROBIN] }));
  assert.equal(coordinator.describeGroup('g1').state, 'PreparingRebalance');
  const bAgain = coordinator.joinGroup(joinRequest({ memberId: b.memberId, groupInstanceId: 'ib' }));
  const [ra, rb] = await Promise.all([changed, bAgain]);
  assert.equal(ra.generationId, 2);
  assert.equal(rb.generationId, 2);

  await coordinator.leaveGroup('g1', [{ memberId: '', groupInstanceId: 'ib' }]);
  assert.deepEqual(
    coordinator.describeGroup('g1').members.map((member) => member.groupInstanceId),
    ['ia'],
  );
});

test('a parked JoinGroup whose connection closes is answered and its new member dropped', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const { leader, follower } = await stableGroupOfTwo(coordinator);
  const controller = new AbortController();
  const parked = coordinator.joinGroup(joinRequest({ clientId: 'flaky', signal: controller.signal }));
  assert.equal(coordinator.describeGroup('g1').members.length, 3);
  controller.abort();
  await rejectsWith(parked, ErrorCode.CONNECTION_CLOSED);
  assert.equal(coordinator.describeGroup('g1').members.length, 2);
  // The rebalance it started completes with the two others.
  const [a, b] = await Promise.all([
    coordinator.joinGroup(joinRequest({ memberId: leader.memberId })),
    coordinator.joinGroup(joinRequest({ memberId: follower.memberId })),
  ]);
  assert.equal(a.generationId, 2);
  assert.equal(b.generationId, 2);
  // An already-aborted request does nothing at all.
  await rejectsWith(coordinator.joinGroup(joinRequest({ groupId: 'g9', signal: AbortSignal.abort() })), ErrorCode.CONNECTION_CLOSED);
  assert.equal(coordinator.listGroups().length, 1);
});

test('close answers parked requests with COORDINATOR_NOT_AVAILABLE and refuses new ones', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const { leader } = await stableGroupOfTwo(coordinator);
  const parked = coordinator.joinGroup(joinRequest({ clientId: 'late' }));
  const leaderRejoin = coordinator.joinGroup(joinRequest({ memberId: leader.memberId }));
  await coordinator.close();
  await rejectsWith(parked, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  await rejectsWith(leaderRejoin, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  await rejectsWith(
    coordinator.heartbeat({ groupId: 'g1', generationId: 1, memberId: leader.memberId }),
    ErrorCode.COORDINATOR_NOT_AVAILABLE,
  );
  await coordinator.close();
});

test('the initial rebalance delay gathers members that arrive within it into the first generation', async (t) => {
  const { coordinator } = await openCoordinator(t, { config: { groupInitialRebalanceDelayMs: 250 } });
  const first = coordinator.joinGroup(joinRequest({ clientId: 'first' }));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(await isSettled(first), false);
  const second = coordinator.joinGroup(joinRequest({ clientId: 'second' }));
  const [a, b] = await Promise.all([first, second]);
  assert.equal(a.generationId, 1);
  assert.equal(b.generationId, 1);
  assert.equal(a.leaderId, a.memberId, 'the first member leads');
  assert.equal(a.members.length, 2);
});

test('calls before load() completes get COORDINATOR_LOAD_IN_PROGRESS', async (t) => {
  const coordinator = new GroupCoordinator({
    config: TEST_GROUP_CONFIG,
    logger: silentLogger,
    offsetsLog: new MemoryOffsetsLog(),
    topicInfo: new FakeTopics().info,
  });
  t.after(() => coordinator.close());
  await rejectsWith(coordinator.joinGroup(joinRequest()), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  await rejectsWith(coordinator.fetchOffsets('g1'), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  await coordinator.load();
  assert.deepEqual(await coordinator.fetchOffsets('g1'), []);
});

test('a failed write of the assignment fails every parked SyncGroup and the group rebalances', async (t) => {
  const { coordinator, log } = await openCoordinator(t);
  const [a, b] = await Promise.all([coordinator.joinGroup(joinRequest()), coordinator.joinGroup(joinRequest())]);
  const leader = a.leaderId === a.memberId ? a : b;
  const follower = leader === a ? b : a;
  // Heartbeats while the leader computes the assignment are fine (Kafka 3.x).
  await heartbeatOf(coordinator, follower);
  const followerSync = coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: follower.memberId, assignments: [] });
  log.failNextAppend = Object.assign(new Error('disk gone'), { code: 'ENOSPC' });
  const leaderSync = coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: leader.memberId, assignments: [] });
  await rejectsWith(leaderSync, ErrorCode.DISK_FULL);
  await rejectsWith(followerSync, ErrorCode.DISK_FULL);
  assert.equal(coordinator.describeGroup('g1').state, 'PreparingRebalance');
  const [ra, rb] = await Promise.all([
    coordinator.joinGroup(joinRequest({ memberId: a.memberId })),
    coordinator.joinGroup(joinRequest({ memberId: b.memberId })),
  ]);
  assert.equal(ra.generationId, 2);
  assert.equal(rb.generationId, 2);
});

test('a static member that restarts during a rebalance takes part in it under its new id', async (t) => {
  const { coordinator } = await openCoordinator(t);
  const [a, b] = await Promise.all([
    coordinator.joinGroup(joinRequest({ groupInstanceId: 'ia' })),
    coordinator.joinGroup(joinRequest({ groupInstanceId: 'ib' })),
  ]);
  await Promise.all([a, b].map((r) => coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: r.memberId, assignments: [] })));
  const newcomer = coordinator.joinGroup(joinRequest());
  const bRejoin = coordinator.joinGroup(joinRequest({ memberId: b.memberId, groupInstanceId: 'ib' }));
  // ia restarts and joins without its id while the group waits for it.
  const restarted = coordinator.joinGroup(joinRequest({ groupInstanceId: 'ia' }));
  const [n, rb, ra] = await Promise.all([newcomer, bRejoin, restarted]);
  for (const result of [n, rb, ra]) assert.equal(result.generationId, 2);
  assert.notEqual(ra.memberId, a.memberId);
  const leader = [n, rb, ra].find((r) => r.memberId === r.leaderId)!;
  assert.deepEqual(leader.members.map((m) => m.memberId).sort(), [n.memberId, rb.memberId, ra.memberId].sort());
  await rejectsWith(heartbeatOf(coordinator, a, 'ia'), ErrorCode.FENCED_INSTANCE_ID);
});

test('a static member restarting into a full group takes its place back; over-long strings are refused', async (t) => {
  const { coordinator } = await openCoordinator(t, { config: { groupMaxSize: 2 } });
  const [a, b] = await Promise.all([
    coordinator.joinGroup(joinRequest({ groupInstanceId: 'ia' })),
    coordinator.joinGroup(joinRequest({ groupInstanceId: 'ib' })),
  ]);
  await Promise.all([a, b].map((r) => coordinator.syncGroup({ groupId: 'g1', generationId: 1, memberId: r.memberId, assignments: [] })));
  const restarted = await coordinator.joinGroup(joinRequest({ groupInstanceId: 'ia' }));
  assert.equal(restarted.generationId, 1);
  await rejectsWith(coordinator.joinGroup(joinRequest({ groupInstanceId: 'ic' })), ErrorCode.GROUP_MAX_SIZE_REACHED);
  await rejectsWith(coordinator.joinGroup(joinRequest({ groupId: 'g2', clientId: 'c'.repeat(40_000) })), ErrorCode.INVALID_REQUEST);
  const longClient = await coordinator.joinGroup(joinRequest({ groupId: 'g3', clientId: 'x'.repeat(30_000) }));
  assert.ok(longClient.memberId.length < 200, 'member ids stay short whatever the client id');
});

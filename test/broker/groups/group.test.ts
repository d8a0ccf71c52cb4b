import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Group } from '../../../src/broker/groups/group.ts';
import { Member } from '../../../src/broker/groups/member.ts';
import type { GroupProtocol } from '../../../src/broker/types.ts';

function member(memberId: string, names: string[], groupInstanceId: string | null = null): Member {
  const protocols: GroupProtocol[] = names.map((name) => ({ name, metadata: Buffer.from(`${memberId}:${name}`) }));
  return new Member({
    memberId,
    groupInstanceId,
    clientId: 'c',
    clientHost: 'h',
    rebalanceTimeoutMs: 1_000,
    sessionTimeoutMs: 1_000,
    protocolType: 'consumer',
    protocols,
  });
}

test('the first member leads and fixes the protocol type; leadership passes on removal', () => {
  const group = new Group('g', 0);
  group.add(member('a', ['range']));
  group.add(member('b', ['range']));
  assert.equal(group.leaderId, 'a');
  assert.equal(group.protocolType, 'consumer');
  group.remove('a');
  assert.equal(group.leaderId, 'b');
  group.remove('b');
  assert.equal(group.leaderId, null);
});

test('protocol support: same type and at least one protocol every member has', () => {
  const group = new Group('g', 0);
  assert.equal(group.supportsProtocols('consumer', ['range']), true);
  assert.equal(group.supportsProtocols('', ['range']), false);
  group.add(member('a', ['range', 'roundrobin']));
  group.add(member('b', ['roundrobin', 'sticky']));
  assert.deepEqual([...group.candidateProtocols()], ['roundrobin']);
  assert.equal(group.supportsProtocols('consumer', ['sticky', 'roundrobin']), true);
  assert.equal(group.supportsProtocols('consumer', ['range']), false);
  assert.equal(group.supportsProtocols('connect', ['roundrobin']), false);
});

test('selectProtocol: most votes wins, ties go to the leader preference', () => {
  const group = new Group('g', 0);
  group.add(member('a', ['x', 'y']));
  group.add(member('b', ['y', 'x']));
  assert.equal(group.selectProtocol(), 'x', 'one vote each: the leader prefers x');
  group.add(member('c', ['y', 'x']));
  assert.equal(group.selectProtocol(), 'y');
});

test('transitions follow the state machine; an invalid one is an assertion failure', () => {
  const group = new Group('g', 0);
  assert.throws(() => group.transitionTo('Stable', 1), assert.AssertionError);
  group.add(member('a', ['range']));
  group.transitionTo('PreparingRebalance', 2);
  assert.equal(group.stateTimestampMs, 2);
  assert.equal(group.canRebalance, false);
  group.members.get('a')!.awaitingJoin = null;
  group.initNextGeneration(3);
  assert.equal(group.state, 'CompletingRebalance');
  assert.equal(group.generationId, 1);
  assert.equal(group.protocolName, 'range');
  group.transitionTo('Stable', 4);
  assert.equal(group.canRebalance, true);
  group.transitionTo('Dead', 5);
  assert.throws(() => group.transitionTo('PreparingRebalance', 6), assert.AssertionError);
});

test('static members: replacement keeps place and leadership, the old id is fenced', () => {
  const group = new Group('g', 0);
  group.add(member('a', ['range'], 'instance-a'));
  group.add(member('b', ['range']));
  group.get('a')!.assignment = Buffer.from('A');
  const replaced = group.replaceStaticMember('instance-a', 'a', 'a2');
  assert.equal(group.leaderId, 'a2');
  assert.deepEqual(replaced.assignment, Buffer.from('A'));
  assert.equal(group.has('a'), false);
  assert.equal(group.isStaticMemberFenced('instance-a', 'a'), true);
  assert.equal(group.isStaticMemberFenced('instance-a', 'a2'), false);
  assert.equal(group.isStaticMemberFenced(null, 'a'), false);
  group.remove('a2');
  assert.equal(group.staticMemberId('instance-a'), undefined);
});

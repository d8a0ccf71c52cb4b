import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { AssignorMember, GroupAssignment } from '../../src/common/assignors/index.ts';
import {
  cooperativeStickyAssignor,
  cooperativeStickyUserData,
  getAssignor,
  memberFromSubscription,
  rangeAssignor,
  roundRobinAssignor,
} from '../../src/common/assignors/index.ts';
import type { TopicPartitions } from '../../src/common/consumer-protocol.ts';
import { decodeSubscription, encodeSubscription } from '../../src/common/consumer-protocol.ts';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { fcParams } from './seed.ts';

// ----------------------------------------------------------------------------- helpers

const key = (topic: string, partition: number) => `${topic}/${partition}`;

function member(memberId: string, topics: string[], owned: TopicPartitions[] = [], generationId = 1): AssignorMember {
  return { memberId, topics, ownedPartitions: owned, generationId };
}

function flatten(assignment: GroupAssignment): Map<string, string> {
  const owners = new Map<string, string>();
  for (const [memberId, list] of assignment) {
    for (const { topic, partitions } of list) {
      for (const p of partitions) {
        assert.ok(!owners.has(key(topic, p)), `${key(topic, p)} assigned twice`);
        owners.set(key(topic, p), memberId);
      }
    }
  }
  return owners;
}

function countOf(assignment: GroupAssignment, memberId: string): number {
  return (assignment.get(memberId) ?? []).reduce((n, tp) => n + tp.partitions.length, 0);
}

function allPartitions(members: readonly AssignorMember[], counts: ReadonlyMap<string, number>): string[] {
  const topics = new Set(members.flatMap((m) => m.topics));
  const all: string[] = [];
  for (const topic of topics) for (let p = 0; p < (counts.get(topic) ?? 0); p++) all.push(key(topic, p));
  return all;
}

/** Every partition of a subscribed topic exactly once, to a subscriber; every member listed. */
function assertComplete(members: readonly AssignorMember[], counts: ReadonlyMap<string, number>, assignment: GroupAssignment): void {
  const owners = flatten(assignment);
  assert.deepEqual([...owners.keys()].sort(), allPartitions(members, counts).sort());
  assert.deepEqual([...assignment.keys()].sort(), members.map((m) => m.memberId).sort());
  for (const [partition, memberId] of owners) {
    const topic = partition.slice(0, partition.lastIndexOf('/'));
    assert.ok(members.find((m) => m.memberId === memberId)!.topics.includes(topic), `${partition} given to a non-subscriber`);
  }
}

/** Kafka's notion of balance: no partition could go to an eligible member holding 2+ fewer. */
function assertBalanced(members: readonly AssignorMember[], assignment: GroupAssignment): void {
  for (const [memberId, list] of assignment) {
    const mine = countOf(assignment, memberId);
    for (const { topic } of list) {
      for (const other of members) {
        if (other.topics.includes(topic)) {
          assert.ok(countOf(assignment, other.memberId) >= mine - 1, `${memberId} (${mine}) could give ${topic} to ${other.memberId}`);
        }
      }
    }
  }
}

// ----------------------------------------------------------------------------- generators

interface Scenario {
  members: AssignorMember[];
  counts: Map<string, number>;
}

const TOPICS = ['a', 'b', 'c', 'd'];

function scenario(options: { equalSubscriptions: boolean; conflicts: boolean }): fc.Arbitrary<Scenario> {
  return fc
    .record({
      memberCount: fc.integer({ min: 1, max: 7 }),
      counts: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: TOPICS.length, maxLength: TOPICS.length }),
      subscriptions: fc.array(fc.subarray(TOPICS, { minLength: 1 }), { minLength: 7, maxLength: 7 }),
      // Who owned each partition before: a member index, or >= memberCount for "nobody / departed".
      owners: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 48, maxLength: 48 }),
      second: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 48, maxLength: 48 }),
      generations: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 7, maxLength: 7 }),
      ids: fc.shuffledSubarray(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'x', 'y-static'], { minLength: 7, maxLength: 7 }),
    })
    .map(({ memberCount, counts, subscriptions, owners, second, generations, ids }) => {
      const countMap = new Map<string, number>();
      TOPICS.forEach((topic, i) => {
        if (counts[i]! > 0) countMap.set(topic, counts[i]!);
      });
      const members = Array.from({ length: memberCount }, (_, i) =>
        member(ids[i]!, options.equalSubscriptions ? TOPICS.slice(0, 3) : subscriptions[i]!, [], options.conflicts ? generations[i]! : 1),
      );
      const owned = members.map(() => new Map<string, number[]>());
      let slot = 0;
      for (const topic of TOPICS) {
        for (let p = 0; p < (countMap.get(topic) ?? 0); p++, slot++) {
          const claim = (index: number) => {
            if (index >= memberCount) return;
            const list = owned[index]!.get(topic) ?? [];
            owned[index]!.set(topic, [...list, p]);
          };
          claim(owners[slot % owners.length]!);
          if (options.conflicts) claim(second[slot % second.length]!);
        }
      }
      members.forEach((m, i) => {
        m.ownedPartitions = [...owned[i]!].map(([topic, partitions]) => ({ topic, partitions: [...new Set(partitions)] }));
      });
      return { members, counts: countMap };
    });
}

/** The next round's members: each owns what it was just assigned, one generation later. */
function nextRound(members: readonly AssignorMember[], assignment: GroupAssignment): AssignorMember[] {
  return members.map((m) => ({ ...m, ownedPartitions: assignment.get(m.memberId) ?? [], generationId: m.generationId + 1 }));
}

// ----------------------------------------------------------------------------- range & roundrobin

test("range and roundrobin reproduce Kafka's documented examples", () => {
  const counts = new Map([
    ['t0', 3],
    ['t1', 3],
  ]);
  const members = [member('C1', ['t0', 't1']), member('C0', ['t0', 't1'])];
  assert.deepEqual(
    rangeAssignor.assign(members, counts),
    new Map([
      [
        'C0',
        [
          { topic: 't0', partitions: [0, 1] },
          { topic: 't1', partitions: [0, 1] },
        ],
      ],
      [
        'C1',
        [
          { topic: 't0', partitions: [2] },
          { topic: 't1', partitions: [2] },
        ],
      ],
    ]),
  );
  assert.deepEqual(
    roundRobinAssignor.assign(members, counts),
    new Map([
      [
        'C0',
        [
          { topic: 't0', partitions: [0, 2] },
          { topic: 't1', partitions: [1] },
        ],
      ],
      [
        'C1',
        [
          { topic: 't0', partitions: [1] },
          { topic: 't1', partitions: [0, 2] },
        ],
      ],
    ]),
  );
  // Static members come first, ordered by group.instance.id.
  const statics = [member('a', ['t0']), { ...member('z', ['t0']), groupInstanceId: 'i-1' }];
  assert.deepEqual(rangeAssignor.assign(statics, new Map([['t0', 3]])).get('z'), [{ topic: 't0', partitions: [0, 1] }]);
});

for (const assignor of [rangeAssignor, roundRobinAssignor]) {
  test(`${assignor.name}: every partition is assigned exactly once, to a subscriber`, () => {
    fc.assert(
      fc.property(scenario({ equalSubscriptions: false, conflicts: false }), ({ members, counts }) => {
        const assignment = assignor.assign(members, counts);
        assertComplete(members, counts, assignment);
        assert.deepEqual(assignor.assign([...members].reverse(), counts), assignment, 'deterministic whatever the input order');
      }),
      fcParams(300),
    );
  });
}

test('roundrobin balances equal subscriptions to within one partition', () => {
  fc.assert(
    fc.property(scenario({ equalSubscriptions: true, conflicts: false }), ({ members, counts }) => {
      const assignment = roundRobinAssignor.assign(members, counts);
      const sizes = members.map((m) => countOf(assignment, m.memberId));
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
    }),
    fcParams(300),
  );
});

// ----------------------------------------------------------------------------- cooperative-sticky

test('cooperative-sticky never hands a partition to a new owner in the round it is revoked', () => {
  const anyScenario = fc
    .tuple(fc.boolean(), fc.boolean())
    .chain(([equalSubscriptions, conflicts]) => scenario({ equalSubscriptions, conflicts }));
  fc.assert(
    fc.property(anyScenario, ({ members, counts }) => {
      const owners = flatten(cooperativeStickyAssignor.assign(members, counts));
      for (const [partition, memberId] of owners) {
        const claimers = members.filter((m) => m.ownedPartitions.some((tp) => tp.partitions.some((p) => key(tp.topic, p) === partition)));
        if (claimers.length > 0) {
          assert.ok(
            claimers.some((m) => m.memberId === memberId),
            `${partition} handed to ${memberId} while ${claimers.map((m) => m.memberId)} own it`,
          );
        }
      }
    }),
    fcParams(400),
  );
});

test('cooperative-sticky converges: the follow-up rebalance assigns everything, balanced, and then stays put', () => {
  fc.assert(
    fc.property(scenario({ equalSubscriptions: true, conflicts: true }), ({ members, counts }) => {
      const first = cooperativeStickyAssignor.assign(members, counts);
      const round2 = nextRound(members, first);
      const second = cooperativeStickyAssignor.assign(round2, counts);
      assertComplete(members, counts, second);
      const sizes = members.map((m) => countOf(second, m.memberId));
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `unbalanced: ${sizes}`);
      // Nothing the first round left in place is taken away in the second.
      const before = flatten(first);
      const after = flatten(second);
      for (const [partition, memberId] of before) assert.equal(after.get(partition), memberId);
      // A stable group gets the same assignment again.
      assert.deepEqual(cooperativeStickyAssignor.assign(nextRound(round2, second), counts), second);
    }),
    fcParams(300),
  );
});

test('cooperative-sticky converges with different subscriptions within a few rebalances', () => {
  fc.assert(
    fc.property(scenario({ equalSubscriptions: false, conflicts: true }), ({ members, counts }) => {
      let current = members;
      let assignment = cooperativeStickyAssignor.assign(current, counts);
      for (let round = 0; round < 4; round++) {
        current = nextRound(current, assignment);
        const next = cooperativeStickyAssignor.assign(current, counts);
        const stable = JSON.stringify([...next]) === JSON.stringify([...assignment]);
        assignment = next;
        if (stable) break;
      }
      assertComplete(members, counts, assignment);
      assertBalanced(members, assignment);
      assert.deepEqual(cooperativeStickyAssignor.assign(nextRound(current, assignment), counts), assignment, 'stable once converged');
    }),
    fcParams(300),
  );
});

test('cooperative-sticky moves the fewest partitions (equal subscriptions)', () => {
  fc.assert(
    fc.property(scenario({ equalSubscriptions: true, conflicts: false }), ({ members, counts }) => {
      const assignment = cooperativeStickyAssignor.assign(members, counts);
      const after = flatten(assignment);
      let revoked = 0;
      // Partitions of topics a member dropped must go; the bound is about the others.
      const keepable = (m: AssignorMember) => m.ownedPartitions.filter((tp) => m.topics.includes(tp.topic));
      const owned = members.map((m) => keepable(m).reduce((n, tp) => n + tp.partitions.length, 0));
      members.forEach((m) => {
        for (const tp of keepable(m)) for (const p of tp.partitions) if (after.get(key(tp.topic, p)) !== m.memberId) revoked++;
      });
      // Lower bound: with P partitions over M members, P % M members may hold ceil(P/M), the rest
      // floor(P/M); the members owning most get the larger quotas.
      const total = allPartitions(members, counts).length;
      const floor = Math.floor(total / members.length);
      let ceilSlots = total % members.length;
      let lowerBound = 0;
      for (const n of [...owned].sort((x, y) => y - x)) {
        let quota = floor;
        if (n > floor && ceilSlots > 0) {
          quota++;
          ceilSlots--;
        }
        lowerBound += Math.max(0, n - quota);
      }
      assert.equal(revoked, lowerBound);
    }),
    fcParams(300),
  );
});

test('cooperative-sticky: a joining member gets partitions only after their owners revoke them', () => {
  const counts = new Map([['t', 4]]);
  const owned = [{ topic: 't', partitions: [0, 1, 2, 3] }];
  const round1 = cooperativeStickyAssignor.assign([member('a', ['t'], owned, 5), member('b', ['t'], [], -1)], counts);
  assert.deepEqual(round1.get('a'), [{ topic: 't', partitions: [0, 1] }]);
  assert.deepEqual(round1.get('b'), []);
  const round2 = cooperativeStickyAssignor.assign([member('a', ['t'], round1.get('a')!, 6), member('b', ['t'], [], 6)], counts);
  assert.deepEqual(round2.get('a'), [{ topic: 't', partitions: [0, 1] }]);
  assert.deepEqual(round2.get('b'), [{ topic: 't', partitions: [2, 3] }]);
  // A claim from an older generation loses to the newer one.
  const stale = cooperativeStickyAssignor.assign(
    [member('a', ['t'], [{ topic: 't', partitions: [0] }], 3), member('b', ['t'], [{ topic: 't', partitions: [0, 1] }], 4)],
    counts,
  );
  assert.deepEqual(stale.get('b'), [{ topic: 't', partitions: [0, 1] }]);
});

test('the registry knows Kafka’s names; members come from decoded subscriptions', () => {
  assert.equal(getAssignor('range'), rangeAssignor);
  assert.equal(getAssignor('roundrobin'), roundRobinAssignor);
  assert.equal(getAssignor('cooperative-sticky'), cooperativeStickyAssignor);
  assert.throws(
    () => getAssignor('sticky'),
    (e: unknown) => e instanceof FerryError && e.code === ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  );
  const v1 = decodeSubscription(encodeSubscription({ topics: ['t'], userData: cooperativeStickyUserData(7), ownedPartitions: [] }, 1));
  assert.equal(memberFromSubscription('m', v1).generationId, 7);
  const v3 = decodeSubscription(encodeSubscription({ topics: ['t'], generationId: 9 }, 3));
  assert.equal(memberFromSubscription('m', v3, 'static').generationId, 9);
});

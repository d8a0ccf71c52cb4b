import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GroupCoordinator } from '../../../src/broker/groups/group-coordinator.ts';
import { ErrorCode, FerryError } from '../../../src/common/errors.ts';
import type { JoinGroupMember } from '../../../src/broker/types.ts';
import { joinRequest, openCoordinator } from './helpers.ts';

// Randomised: the seed is printed and FERRY_SEED replays the clients' choices (timing still varies).
const SEED = process.env.FERRY_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FERRY_SEED);

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PARTITIONS = 12;

/** The leader's assignment: partitions dealt round-robin over the members it was given. */
function assign(members: JoinGroupMember[]): { memberId: string; assignment: Buffer }[] {
  const owned = new Map<string, number[]>(members.map((member) => [member.memberId, []]));
  for (let partition = 0; partition < PARTITIONS; partition++) owned.get(members[partition % members.length]!.memberId)!.push(partition);
  return [...owned].map(([memberId, partitions]) => ({ memberId, assignment: Buffer.from(JSON.stringify(partitions)) }));
}

interface Observed {
  /** generation -> memberId -> partitions it was handed. */
  owners: Map<number, Map<string, number[]>>;
  unexpected: string[];
}

const EXPECTED_CODES: ReadonlySet<string> = new Set([
  ErrorCode.REBALANCE_IN_PROGRESS,
  ErrorCode.UNKNOWN_MEMBER_ID,
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.MEMBER_ID_REQUIRED,
  ErrorCode.CONNECTION_CLOSED,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
]);

/** One consumer doing what real ones do, plus misbehaving at random: leaving, going silent,
 *  dropping its connection mid-join. */
async function runClient(coordinator: GroupCoordinator, rng: () => number, stopAtMs: number, observed: Observed): Promise<void> {
  let memberId = '';
  while (Date.now() < stopAtMs) {
    const controller = new AbortController();
    try {
      if (rng() < 0.05) setTimeout(() => controller.abort(), Math.floor(rng() * 50));
      const joined = await coordinator.joinGroup(
        joinRequest({
          memberId,
          sessionTimeoutMs: 150,
          rebalanceTimeoutMs: 250,
          requireKnownMemberId: rng() < 0.5,
          signal: controller.signal,
        }),
      );
      memberId = joined.memberId;
      const assignments = joined.leaderId === memberId ? assign(joined.members) : [];
      const synced = await coordinator.syncGroup({
        groupId: 'g1',
        generationId: joined.generationId,
        memberId,
        assignments,
        signal: controller.signal,
      });
      let byMember = observed.owners.get(joined.generationId);
      if (byMember === undefined) observed.owners.set(joined.generationId, (byMember = new Map()));
      byMember.set(memberId, synced.assignment.length === 0 ? [] : (JSON.parse(synced.assignment.toString()) as number[]));

      const beats = Math.floor(rng() * 8);
      for (let beat = 0; beat < beats; beat++) {
        await sleep(20 + Math.floor(rng() * 30));
        await coordinator.heartbeat({ groupId: 'g1', generationId: joined.generationId, memberId });
      }
      const roll = rng();
      if (roll < 0.15) {
        await coordinator.leaveGroup('g1', [{ memberId }]);
        memberId = '';
      } else if (roll < 0.25) {
        await sleep(200); // silent past its session: the coordinator drops it
      }
    } catch (error) {
      if (!(error instanceof FerryError) || !EXPECTED_CODES.has(error.code)) {
        observed.unexpected.push(String(error));
        return;
      }
      if (error.code === ErrorCode.MEMBER_ID_REQUIRED) memberId = error.details?.memberId as string;
      else if (error.code === ErrorCode.UNKNOWN_MEMBER_ID) memberId = '';
    }
  }
  if (memberId !== '') await coordinator.leaveGroup('g1', [{ memberId }]).catch(() => {});
}

test(`churn: members come and go at random; every generation hands out disjoint assignments (FERRY_SEED=${SEED})`, async (t) => {
  console.log(`churn test: FERRY_SEED=${SEED}`);
  const { coordinator } = await openCoordinator(t);
  const rng = mulberry32(SEED);
  const observed: Observed = { owners: new Map(), unexpected: [] };
  const stopAtMs = Date.now() + 2_000;
  await Promise.all(Array.from({ length: 6 }, () => runClient(coordinator, mulberry32(Math.floor(rng() * 2 ** 31)), stopAtMs, observed)));

  console.log(`churn test: ${observed.owners.size} generations`);
  assert.deepEqual(observed.unexpected, []);
  assert.ok(observed.owners.size >= 3, `only ${observed.owners.size} generations formed`);
  for (const [generationId, byMember] of observed.owners) {
    const seen = new Set<number>();
    for (const [memberId, partitions] of byMember) {
      for (const partition of partitions) {
        assert.ok(!seen.has(partition), `generation ${generationId}: partition ${partition} handed out twice (to ${memberId})`);
        seen.add(partition);
      }
    }
  }
  // Every client left: once the last rebalance settles the group is empty.
  const deadline = Date.now() + 3_000;
  while (coordinator.describeGroup('g1').state !== 'Empty') {
    assert.ok(Date.now() < deadline, `group still ${coordinator.describeGroup('g1').state}`);
    await sleep(10);
  }
});

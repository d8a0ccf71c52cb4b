import {
  AssignmentBuilder,
  type Assignor,
  type AssignorMember,
  compareStrings,
  type GroupAssignment,
  partitionCountOf,
  sortedMembers,
} from './assignor.ts';

/**
 * Kafka's CooperativeStickyAssignor ("cooperative-sticky"), incremental cooperative rebalancing
 * (KIP-429):
 *
 * 1. Sticky target: members keep what they validly own (a claim with the highest generation wins;
 *    two claims in that generation cancel out) as far as balance allows, and the fewest
 *    partitions move. Balanced means no partition could go to another member subscribed to its
 *    topic that holds two or more fewer partitions than its owner.
 * 2. Cooperative: a partition the target moves from one member to another is **not** handed to the
 *    new owner in this round. The old owner sees it missing from its assignment and revokes it,
 *    then rejoins; the next rebalance finds it unowned and assigns it. No partition is ever held
 *    by two members at once.
 *
 * Cost: O(P log M) with equal subscriptions; with different subscriptions the rebalancing pass is
 * O(P * M) per sweep, a handful of sweeps in practice.
 */
export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  rebalanceProtocol: 'cooperative',
  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): GroupAssignment {
    const ordered = sortedMembers(members);
    const builder = new AssignmentBuilder(ordered);
    if (ordered.length === 0) return builder.build();
    const state = buildState(ordered, partitionCounts);
    if (state.partitionCount === 0) return builder.build();
    const target = isHomogeneous(state) ? assignEqualSubscriptions(state) : assignGeneral(state);
    for (let pid = 0; pid < state.partitionCount; pid++) {
      const member = target[pid]!;
      if (member < 0) continue;
      // Cooperative hold-back: while any other member still claims it, the new owner waits.
      if (!state.claimers[pid]!.includes(member) && state.claimers[pid]!.length > 0) continue;
      builder.add(ordered[member]!.memberId, state.topicOf[pid]!, state.partitionOf[pid]!);
    }
    return builder.build();
  },
};

interface State {
  memberCount: number;
  partitionCount: number;
  /** Per partition id: topic name and partition number. */
  topicOf: string[];
  partitionOf: number[];
  /** Per partition id: members subscribed to its topic, in member order. */
  eligible: number[][];
  /** Per partition id: every member claiming to own it (any generation, subscribed or not). */
  claimers: number[][];
  /** Per partition id: the member that keeps it if balance allows, or -1. */
  stickyOwner: Int32Array;
  /** Per member: its subscribed topics that exist, sorted (for the equal-subscriptions test). */
  topicKeys: string[];
}

function buildState(ordered: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): State {
  const memberCount = ordered.length;
  const topics = [...new Set(ordered.flatMap((member) => member.topics))]
    .filter((topic) => partitionCountOf(partitionCounts, topic) > 0)
    .sort(compareStrings);
  const firstId = new Map<string, number>();
  const topicOf: string[] = [];
  const partitionOf: number[] = [];
  const eligible: number[][] = [];
  for (const topic of topics) {
    firstId.set(topic, topicOf.length);
    const subscribers: number[] = [];
    ordered.forEach((member, i) => {
      if (member.topics.includes(topic)) subscribers.push(i);
    });
    const count = partitionCountOf(partitionCounts, topic);
    for (let p = 0; p < count; p++) {
      topicOf.push(topic);
      partitionOf.push(p);
      eligible.push(subscribers);
    }
  }
  const partitionCount = topicOf.length;
  const claimers: number[][] = Array.from({ length: partitionCount }, () => []);
  const bestGeneration = new Float64Array(partitionCount).fill(Number.NEGATIVE_INFINITY);
  const stickyOwner = new Int32Array(partitionCount).fill(-1);
  ordered.forEach((member, i) => {
    const subscribed = new Set(member.topics);
    for (const owned of member.ownedPartitions) {
      const base = firstId.get(owned.topic);
      if (base === undefined) continue;
      const count = partitionCountOf(partitionCounts, owned.topic);
      for (const p of owned.partitions) {
        if (!(Number.isInteger(p) && p >= 0 && p < count)) continue;
        const pid = base + p;
        if (claimers[pid]!.includes(i)) continue;
        claimers[pid]!.push(i);
        // Only a claim on a topic the member still wants can be kept.
        if (!subscribed.has(owned.topic)) continue;
        if (member.generationId > bestGeneration[pid]!) {
          bestGeneration[pid] = member.generationId;
          stickyOwner[pid] = i;
        } else if (member.generationId === bestGeneration[pid]) {
          stickyOwner[pid] = -1; // same-generation conflict: nobody keeps it by right
        }
      }
    }
  });
  const topicKeys = ordered.map((member) =>
    [...new Set(member.topics)]
      .filter((topic) => firstId.has(topic))
      .sort(compareStrings)
      .join('\u0000'),
  );
  return { memberCount, partitionCount, topicOf, partitionOf, eligible, claimers, stickyOwner, topicKeys };
}

function isHomogeneous(state: State): boolean {
  return state.topicKeys.every((key) => key === state.topicKeys[0]);
}

/**
 * Everyone subscribes to the same topics: quotas are floor(P/M) and, for P % M members, one more.
 * Members owning the most keep the larger quotas, so the fewest partitions move; the released and
 * unowned partitions go to the least loaded members.
 */
function assignEqualSubscriptions(state: State): Int32Array {
  const { memberCount, partitionCount } = state;
  const target = new Int32Array(partitionCount).fill(-1);
  const kept: number[][] = Array.from({ length: memberCount }, () => []);
  for (let pid = 0; pid < partitionCount; pid++) {
    const owner = state.stickyOwner[pid]!;
    if (owner >= 0) kept[owner]!.push(pid);
  }
  const floor = Math.floor(partitionCount / memberCount);
  let ceilSlots = partitionCount % memberCount;
  const byOwned = [...Array(memberCount).keys()].sort((a, b) => kept[b]!.length - kept[a]!.length || a - b);
  const counts = new Int32Array(memberCount);
  for (const member of byOwned) {
    let quota = floor;
    if (kept[member]!.length > floor && ceilSlots > 0) {
      quota = floor + 1;
      ceilSlots--;
    }
    const keep = kept[member]!.slice(0, quota);
    for (const pid of keep) target[pid] = member;
    counts[member] = keep.length;
  }
  const heap = new LoadHeap(counts);
  for (let pid = 0; pid < partitionCount; pid++) {
    if (target[pid]! >= 0) continue;
    const member = heap.popLeast();
    target[pid] = member;
    counts[member]!++;
    heap.push(member);
  }
  return target;
}

/**
 * Different subscriptions: keep every valid claim, place the other partitions (the most
 * constrained first) on the least loaded eligible member, then move partitions from loaded
 * members to eligible members holding two or more fewer until none can move. Partitions that were
 * nobody's move before owned ones, so ownership changes stay few.
 */
function assignGeneral(state: State): Int32Array {
  const { memberCount, partitionCount, eligible } = state;
  const target = new Int32Array(partitionCount).fill(-1);
  const counts = new Int32Array(memberCount);
  const unowned: number[] = [];
  for (let pid = 0; pid < partitionCount; pid++) {
    const owner = state.stickyOwner[pid]!;
    if (owner >= 0) {
      target[pid] = owner;
      counts[owner]!++;
    } else if (eligible[pid]!.length > 0) {
      unowned.push(pid);
    }
  }
  unowned.sort((a, b) => eligible[a]!.length - eligible[b]!.length || a - b);
  for (const pid of unowned) {
    const member = leastLoaded(eligible[pid]!, counts);
    target[pid] = member;
    counts[member]!++;
  }
  const order = [...unowned].sort((a, b) => a - b);
  for (let pid = 0; pid < partitionCount; pid++) if (state.stickyOwner[pid]! >= 0) order.push(pid);
  for (let moved = true; moved; ) {
    moved = false;
    for (const pid of order) {
      const owner = target[pid]!;
      const candidate = leastLoaded(eligible[pid]!, counts);
      if (counts[candidate]! + 1 < counts[owner]!) {
        target[pid] = candidate;
        counts[owner]!--;
        counts[candidate]!++;
        moved = true;
      }
    }
  }
  return target;
}

function leastLoaded(candidates: readonly number[], counts: Int32Array): number {
  let best = candidates[0]!;
  for (let i = 1; i < candidates.length; i++) {
    const member = candidates[i]!;
    if (counts[member]! < counts[best]!) best = member;
  }
  return best;
}

/** Min-heap of members by (count, member order). */
class LoadHeap {
  private readonly items: number[] = [];
  private readonly counts: Int32Array;

  constructor(counts: Int32Array) {
    this.counts = counts;
    for (let member = 0; member < counts.length; member++) this.push(member);
  }

  private less(a: number, b: number): boolean {
    const ca = this.counts[a]!;
    const cb = this.counts[b]!;
    return ca < cb || (ca === cb && a < b);
  }

  push(member: number): void {
    const items = this.items;
    items.push(member);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  popLeast(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && this.less(items[left]!, items[smallest]!)) smallest = left;
        if (right < items.length && this.less(items[right]!, items[smallest]!)) smallest = right;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest]!, items[i]!];
        i = smallest;
      }
    }
    return top;
  }
}

import type { TopicPartitions } from '../consumer-protocol.ts';

/**
 * What every assignor works on: the group's members as their JoinGroup subscriptions describe
 * them, and each subscribed topic's partition count. Assignors are pure and deterministic: the
 * same input gives the same output on every leader, Kafka's or ours.
 */
export interface AssignorMember {
  memberId: string;
  /** Static membership id: when present it orders members, as in Kafka's MemberInfo. */
  groupInstanceId?: string | null;
  topics: readonly string[];
  /** What the member owns now (subscription v1+); empty for eager members. */
  ownedPartitions: readonly TopicPartitions[];
  /** The generation in which it owned them; -1 unknown. */
  generationId: number;
}

/** memberId -> its partitions, topics sorted, partitions ascending; every member has an entry. */
export type GroupAssignment = Map<string, TopicPartitions[]>;

export interface Assignor {
  /** Kafka's protocol name, the one sent in JoinGroup. */
  readonly name: string;
  /** Eager assignors expect members to give up everything before joining; cooperative ones do not. */
  readonly rebalanceProtocol: 'eager' | 'cooperative';
  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): GroupAssignment;
}

/**
 * Kafka's member order (MemberInfo.compareTo): static members by groupInstanceId first, then
 * dynamic members by memberId. Code-unit order, as Java's String.compareTo.
 */
export function compareMembers(a: AssignorMember, b: AssignorMember): number {
  const ai = a.groupInstanceId ?? null;
  const bi = b.groupInstanceId ?? null;
  if (ai !== null && bi !== null) return compareStrings(ai, bi);
  if (ai !== null) return -1;
  if (bi !== null) return 1;
  return compareStrings(a.memberId, b.memberId);
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortedMembers(members: readonly AssignorMember[]): AssignorMember[] {
  return [...members].sort(compareMembers);
}

/** Partition count of a topic, or 0 for a topic the cluster does not know (it gets nothing). */
export function partitionCountOf(partitionCounts: ReadonlyMap<string, number>, topic: string): number {
  const count = partitionCounts.get(topic);
  return count !== undefined && Number.isInteger(count) && count > 0 ? count : 0;
}

/** Collects (member, topic, partition) triples into the output shape, sorted. */
export class AssignmentBuilder {
  private readonly byMember = new Map<string, Map<string, number[]>>();

  constructor(members: readonly AssignorMember[]) {
    for (const member of members) this.byMember.set(member.memberId, new Map());
  }

  add(memberId: string, topic: string, partition: number): void {
    const topics = this.byMember.get(memberId);
    if (topics === undefined) throw new Error(`assignor bug: unknown member ${memberId}`);
    let partitions = topics.get(topic);
    if (partitions === undefined) topics.set(topic, (partitions = []));
    partitions.push(partition);
  }

  build(): GroupAssignment {
    const result: GroupAssignment = new Map();
    for (const [memberId, topics] of this.byMember) {
      const list: TopicPartitions[] = [];
      for (const topic of [...topics.keys()].sort(compareStrings)) {
        list.push({ topic, partitions: topics.get(topic)!.sort((x, y) => x - y) });
      }
      result.set(memberId, list);
    }
    return result;
  }
}

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
 * Kafka's RangeAssignor ("range"): per topic, the members subscribed to it in member order each
 * get one contiguous range; the first `count % members` get one partition more. Members that
 * subscribe to the same topics get the same partition numbers of each (useful for joins).
 */
export const rangeAssignor: Assignor = {
  name: 'range',
  rebalanceProtocol: 'eager',
  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): GroupAssignment {
    const ordered = sortedMembers(members);
    const builder = new AssignmentBuilder(ordered);
    const topics = [...new Set(ordered.flatMap((member) => member.topics))].sort(compareStrings);
    for (const topic of topics) {
      const count = partitionCountOf(partitionCounts, topic);
      const subscribers = ordered.filter((member) => member.topics.includes(topic));
      const perMember = Math.floor(count / subscribers.length);
      const extra = count % subscribers.length;
      subscribers.forEach((member, i) => {
        const start = perMember * i + Math.min(i, extra);
        const length = perMember + (i < extra ? 1 : 0);
        for (let p = start; p < start + length; p++) builder.add(member.memberId, topic, p);
      });
    }
    return builder.build();
  },
};

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
 * Kafka's RoundRobinAssignor ("roundrobin"): every partition of every subscribed topic, topics in
 * name order, is dealt in turn to the members in member order, skipping members not subscribed
 * to its topic. With equal subscriptions the counts differ by at most one.
 */
export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  rebalanceProtocol: 'eager',
  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): GroupAssignment {
    const ordered = sortedMembers(members);
    const builder = new AssignmentBuilder(ordered);
    if (ordered.length === 0) return builder.build();
    const subscriptions = ordered.map((member) => new Set(member.topics));
    const topics = [...new Set(ordered.flatMap((member) => member.topics))].sort(compareStrings);
    let next = 0; // the circular iterator over members
    for (const topic of topics) {
      const count = partitionCountOf(partitionCounts, topic);
      for (let partition = 0; partition < count; partition++) {
        // Some member is subscribed (the topic came from one), so this ends within one lap.
        while (!subscriptions[next]!.has(topic)) next = (next + 1) % ordered.length;
        builder.add(ordered[next]!.memberId, topic, partition);
        next = (next + 1) % ordered.length;
      }
    }
    return builder.build();
  },
};

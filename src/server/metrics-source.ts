import type { Broker } from '../broker/broker.ts';
import type { Logger } from '../common/logger.ts';
import type {
  BrokerStateSource,
  GroupLagState,
  PartitionState,
  SubscriptionMetricsState,
} from '../observability/metrics/state-collector.ts';

/**
 * The scrape-time view of the broker the metrics collector reads (offsets, sizes, group lag,
 * subscription backlog). Lives in the server layer because observability must not import the
 * broker. A topic, group or subscription removed while the scrape runs is skipped, not an error.
 */
export function brokerStateSource(broker: Broker, dataDir: string, logger: Logger): BrokerStateSource {
  return {
    dataDir,
    *partitions(): Iterable<PartitionState> {
      for (const { name } of broker.listTopics({ includeInternal: true })) {
        let partitions: ReturnType<Broker['describeTopic']>['partitions'];
        try {
          partitions = broker.describeTopic(name).partitions;
        } catch {
          continue;
        }
        for (const p of partitions) {
          yield {
            topic: name,
            partition: p.partition,
            logStartOffset: p.logStartOffset,
            logEndOffset: p.logEndOffset,
            sizeBytes: p.sizeBytes,
            isOffline: p.isOffline,
          };
        }
      }
    },
    *groupLags(): Iterable<GroupLagState> {
      for (const { groupId } of broker.listGroups()) {
        let offsets: ReturnType<Broker['describeGroup']>['offsets'];
        try {
          offsets = broker.describeGroup(groupId).offsets;
        } catch {
          continue;
        }
        const lagByTopic = new Map<string, number>();
        for (const o of offsets) lagByTopic.set(o.topic, (lagByTopic.get(o.topic) ?? 0) + Math.max(0, o.lag));
        for (const [topic, lag] of lagByTopic) yield { group: groupId, topic, lag };
      }
    },
    async subscriptions(): Promise<SubscriptionMetricsState[]> {
      const states: SubscriptionMetricsState[] = [];
      for (const { topic, name } of broker.listSubscriptions()) {
        try {
          const d = await broker.describeSubscription(topic, name);
          states.push({
            topic,
            subscription: name,
            backlog: d.backlog,
            inFlight: d.inFlight,
            redeliveries: d.redeliveries,
            deadLettered: d.deadLettered,
            oldestUnackedAgeMs: d.oldestUnackedAgeMs,
          });
        } catch (error) {
          logger.debug({ topic, subscription: name, err: (error as Error).message }, 'subscription skipped in metrics scrape');
        }
      }
      return states;
    },
  };
}

import type { BrokerApi } from '../../../broker/types.ts';
import { ErrorCode, type FerryError, toFerryError as toFerry } from '../../../common/errors.ts';
import { metadataApi, type TopicMetadata } from '../apis/metadata.ts';
import {
  alterTopicConfigApi,
  brokerConfigApi,
  createPartitionsApi,
  createTopicsApi,
  deleteTopicsApi,
  describeTopicApi,
  listTopicsApi,
} from '../apis/topics.ts';
import { type Route, route } from './route.ts';
import { settleEach } from './settle.ts';

/** Kafka's auto.create.topics.enable: missing topics named in a Metadata request are created with
 *  the broker's defaults. Returns why a creation failed (a concurrent create is no failure). */
async function autoCreate(broker: BrokerApi, names: readonly string[]): Promise<Map<string, FerryError>> {
  const failures = new Map<string, FerryError>();
  const missing = names.filter((name) => !broker.hasTopic(name));
  if (missing.length === 0 || broker.brokerConfig()['auto.create.topics.enable'] !== 'true') return failures;
  await Promise.all(
    missing.map((name) =>
      broker.createTopic(name).catch((error: unknown) => {
        const failure = toFerry(error);
        if (failure.code !== ErrorCode.TOPIC_ALREADY_EXISTS) failures.set(name, failure);
      }),
    ),
  );
  return failures;
}

/** Topic administration and metadata: straight translations to broker calls. */
export const TOPIC_ROUTES: readonly Route[] = [
  route(metadataApi, async ({ broker, localHost, localPort }, request) => {
    const names = request.topics ?? broker.listTopics().map((topic) => topic.name);
    const createFailures = request.topics && request.allowAutoTopicCreation ? await autoCreate(broker, request.topics) : null;
    const topics = names.map((name): TopicMetadata => {
      try {
        const topic = broker.describeTopic(name);
        return {
          name,
          error: null,
          isInternal: topic.isInternal,
          partitions: topic.partitions.map((p) => ({
            partition: p.partition,
            leader: p.leader,
            leaderEpoch: p.leaderEpoch,
            replicas: p.replicas,
            isr: p.isr,
            isOffline: p.isOffline,
          })),
        };
      } catch (error) {
        return { name, error: createFailures?.get(name) ?? toFerry(error), isInternal: false, partitions: [] };
      }
    });
    return { nodeId: broker.nodeId, nodes: [{ nodeId: broker.nodeId, host: localHost, port: localPort }], topics };
  }),

  route(createTopicsApi, async ({ broker }, request) => {
    const results = await settleEach(request.topics, (spec) =>
      broker.createTopic(spec.name, {
        partitions: spec.partitions < 0 ? undefined : spec.partitions,
        replicationFactor: spec.replicationFactor < 0 ? undefined : spec.replicationFactor,
        config: spec.config,
        validateOnly: request.validateOnly,
      }),
    );
    return { topics: results.map((result, i) => ({ name: request.topics[i]!.name, error: result.error, topic: result.value })) };
  }),

  route(deleteTopicsApi, async ({ broker }, request) => {
    const results = await settleEach(request.names, (name) => broker.deleteTopic(name));
    return { topics: results.map((result, i) => ({ name: request.names[i]!, error: result.error })) };
  }),

  route(listTopicsApi, async ({ broker }, request) => ({ topics: broker.listTopics({ includeInternal: request.includeInternal }) })),
  route(describeTopicApi, async ({ broker }, request) => broker.describeTopic(request.name)),
  route(createPartitionsApi, ({ broker }, request) => broker.createPartitions(request.name, request.totalCount)),
  route(alterTopicConfigApi, ({ broker }, request) => broker.alterTopicConfig(request.name, request.set, request.remove)),
  route(brokerConfigApi, async ({ broker }) => ({ config: broker.brokerConfig() })),
];

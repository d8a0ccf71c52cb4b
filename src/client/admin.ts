import { ErrorCode, FerryError } from '../common/errors.ts';
import type { GroupDescription, GroupSummary } from '../protocols/native/apis/group-admin.ts';
import { deleteGroupsApi, describeGroupApi, listGroupsApi } from '../protocols/native/apis/group-admin.ts';
import { deleteRecordsApi, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffsetsApi } from '../protocols/native/apis/offsets.ts';
import type { TopicConfigEntries, TopicDescription, TopicSummary } from '../protocols/native/apis/topic-types.ts';
import {
  alterTopicConfigApi,
  brokerConfigApi,
  createPartitionsApi,
  createTopicsApi,
  deleteTopicsApi,
  describeTopicApi,
  listTopicsApi,
} from '../protocols/native/apis/topics.ts';
import type {
  CreateSubscriptionOptions,
  ReplayDeadLettersOptions,
  ReplayDeadLettersResult,
  SubscriptionDescription,
  SubscriptionSummary,
  TopicQueuePolicy,
} from '../broker/queues/types.ts';
import {
  createSubscriptionApi,
  deleteSubscriptionApi,
  describeSubscriptionApi,
  describeTopicQueuePolicyApi,
  listSubscriptionsApi,
  replayDeadLettersApi,
  setTopicQueuePolicyApi,
} from '../protocols/native/apis/subscriptions.ts';
import type { Channel } from './channel.ts';

export type {
  CreateSubscriptionOptions,
  ReplayDeadLettersOptions,
  ReplayDeadLettersResult,
  SubscriptionDescription,
  SubscriptionSummary,
  TopicQueuePolicy,
};

export type { GroupDescription, GroupSummary, TopicConfigEntries, TopicDescription, TopicSummary };

export interface NewTopic {
  name: string;
  /** Default: the broker's `num.partitions`. */
  partitions?: number;
  /** Single node: 1 or omitted. */
  replicationFactor?: number;
  /** Kafka topic config names and string values, e.g. `{ 'retention.ms': '86400000' }`. */
  config?: TopicConfigEntries;
}

/** Which offset `listOffsets` looks up: the first, the next to be written, or the first record
 *  with a timestamp at or after a time (ms since the epoch). */
export type OffsetSpec = 'earliest' | 'latest' | { timestampMs: number };

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** -1 when no record is at or after the timestamp. */
  offset: number;
}

/** Admin retries only on a lost connection, and only for calls that are safe to repeat. */
const READ_RETRIES = 3;

/**
 * Topic, group and offset administration. Every call is one request (retried only when it is a
 * read and the connection dropped); errors are FerryError with the broker's code.
 */
export class Admin {
  private readonly channel: Channel;

  /** @internal Made by `FerryClient.admin()`. */
  constructor(channel: Channel) {
    this.channel = channel;
  }

  /** Creates one topic; TOPIC_ALREADY_EXISTS if it exists. */
  async createTopic(topic: NewTopic): Promise<TopicDescription> {
    const [result] = await this.createTopics([topic]);
    return result!;
  }

  /** Creates several topics in one request; rejects with the first failure (others may exist then). */
  async createTopics(topics: readonly NewTopic[], options: { validateOnly?: boolean } = {}): Promise<TopicDescription[]> {
    const response = await this.channel.request(createTopicsApi, {
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitions ?? -1,
        replicationFactor: t.replicationFactor ?? -1,
        config: t.config ?? {},
      })),
      validateOnly: options.validateOnly ?? false,
    });
    const failed = response.topics.find((t) => t.error);
    if (failed?.error) throw failed.error;
    return response.topics.map((t) => t.topic!);
  }

  async deleteTopic(name: string): Promise<void> {
    const response = await this.channel.request(deleteTopicsApi, { names: [name] });
    const error = response.topics[0]?.error;
    if (error) throw error;
  }

  async listTopics(options: { includeInternal?: boolean } = {}): Promise<TopicSummary[]> {
    const response = await this.channel.request(
      listTopicsApi,
      { includeInternal: options.includeInternal ?? false },
      { retries: READ_RETRIES },
    );
    return response.topics;
  }

  /** Partitions with their offsets and sizes, plus the effective config. */
  describeTopic(name: string): Promise<TopicDescription> {
    return this.channel.request(describeTopicApi, { name }, { retries: READ_RETRIES });
  }

  /** Grows a topic to `totalCount` partitions (never shrinks: INVALID_PARTITIONS). */
  createPartitions(name: string, totalCount: number): Promise<TopicDescription> {
    return this.channel.request(createPartitionsApi, { name, totalCount });
  }

  /** Sets config overrides and removes others (back to the broker default). */
  alterTopicConfig(name: string, set: TopicConfigEntries, remove: readonly string[] = []): Promise<TopicDescription> {
    return this.channel.request(alterTopicConfigApi, { name, set, remove: [...remove] }, { retries: READ_RETRIES });
  }

  async brokerConfig(): Promise<TopicConfigEntries> {
    return (await this.channel.request(brokerConfigApi, {}, { retries: READ_RETRIES })).config;
  }

  async listGroups(): Promise<GroupSummary[]> {
    return (await this.channel.request(listGroupsApi, {}, { retries: READ_RETRIES })).groups;
  }

  /** Members, assignments, and per-partition committed offset, log end offset and lag. */
  describeGroup(groupId: string): Promise<GroupDescription> {
    return this.channel.request(describeGroupApi, { groupId }, { retries: READ_RETRIES });
  }

  /** Deletes empty groups; rejects with the first failure (NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND). */
  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    const response = await this.channel.request(deleteGroupsApi, { groupIds: [...groupIds] });
    const failed = response.groups.find((g) => g.error);
    if (failed?.error) throw failed.error;
  }

  /** Offsets of every partition of `topic` (or of the given partitions). */
  async listOffsets(topic: string, spec: OffsetSpec = 'latest', partitions?: readonly number[]): Promise<PartitionOffset[]> {
    const numbers = partitions ?? (await this.describeTopic(topic)).partitions.map((p) => p.partition);
    const timestamp = spec === 'earliest' ? EARLIEST_TIMESTAMP : spec === 'latest' ? LATEST_TIMESTAMP : spec.timestampMs;
    if (timestamp < EARLIEST_TIMESTAMP) throw new FerryError(ErrorCode.INVALID_REQUEST, `bad timestamp ${timestamp}`);
    const response = await this.channel.request(
      listOffsetsApi,
      { partitions: numbers.map((partition) => ({ topic, partition, timestamp })) },
      { retries: READ_RETRIES },
    );
    const failed = response.partitions.find((p) => p.error);
    if (failed?.error) throw failed.error;
    return response.partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset }));
  }

  /** Deletes every record below `beforeOffset` in one partition; returns the new log start offset. */
  async deleteRecords(topic: string, partition: number, beforeOffset: number): Promise<number> {
    const response = await this.channel.request(
      deleteRecordsApi,
      { partitions: [{ topic, partition, beforeOffset }] },
      { retries: READ_RETRIES },
    );
    const result = response.partitions[0]!;
    if (result.error) throw result.error;
    return result.logStartOffset;
  }

  // ------------------------------------------------------------------------------ queues

  /** Subscriptions of one topic, or of every topic. */
  async listSubscriptions(topic?: string): Promise<SubscriptionSummary[]> {
    const response = await this.channel.request(listSubscriptionsApi, { topic: topic ?? null }, { retries: READ_RETRIES });
    return response.subscriptions;
  }

  /** Options, consumers, per-partition ack floor, backlog and in-flight counts. */
  describeSubscription(topic: string, name: string): Promise<SubscriptionDescription> {
    return this.channel.request(describeSubscriptionApi, { topic, name }, { retries: READ_RETRIES });
  }

  /** Creates a subscription (an existing one with the same mode is returned unchanged). */
  createSubscription(topic: string, name: string, options: CreateSubscriptionOptions): Promise<SubscriptionDescription> {
    const { mode, ...rest } = options;
    return this.channel.request(createSubscriptionApi, { topic, name, mode, options: rest }, { retries: READ_RETRIES });
  }

  /** Ends its consumers and forgets its state; SUBSCRIPTION_NOT_FOUND when missing. */
  async deleteSubscription(topic: string, name: string): Promise<void> {
    await this.channel.request(deleteSubscriptionApi, { topic, name });
  }

  /** Moves the subscription's dead letters back to their original topic and partition. */
  replayDeadLetters(topic: string, name: string, options: ReplayDeadLettersOptions = {}): Promise<ReplayDeadLettersResult> {
    return this.channel.request(replayDeadLettersApi, { topic, name, maxRecords: options.maxRecords ?? -1 });
  }

  /** Sets the topic's queue policy (TTL, backlog limits, until_acked retention); returns it as stored. */
  setTopicQueuePolicy(topic: string, policy: TopicQueuePolicy): Promise<TopicQueuePolicy> {
    return this.channel.request(setTopicQueuePolicyApi, { topic, policy }, { retries: READ_RETRIES });
  }

  describeTopicQueuePolicy(topic: string): Promise<TopicQueuePolicy> {
    return this.channel.request(describeTopicQueuePolicyApi, { topic }, { retries: READ_RETRIES });
  }
}

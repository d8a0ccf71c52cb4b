/**
 * Ferry's TypeScript client for the native protocol (`import { connect } from 'ferrymq/client'`).
 * See docs/client.md.
 */
export { connect, FerryClient, type ClientOptions } from './client.ts';
export { Producer, type ProducerOptions, type SendBatchResult, type Partitioner, type SendReceipt } from './producer.ts';
export { Consumer, type ConsumerOptions, type TopicPartition } from './consumer.ts';
export {
  Admin,
  type NewTopic,
  type OffsetSpec,
  type PartitionOffset,
  type GroupDescription,
  type GroupSummary,
  type TopicConfigEntries,
  type TopicDescription,
  type TopicSummary,
} from './admin.ts';
export type { ProducerRecord, ProducerMessage, RecordMetadata, ConsumerMessage, RecordBytes, RecordHeaders } from './records.ts';
export { QueueSubscription, type QueueSubscribeOptions, type RunOptions } from './queue-subscription.ts';
export { QueueMessage } from './queue-message.ts';
export type { RequestMessage, RequestOptions } from './requester.ts';
export type {
  CreateSubscriptionOptions,
  ReplayDeadLettersOptions,
  ReplayDeadLettersResult,
  SubscriptionDescription,
  SubscriptionSummary,
  TopicQueuePolicy,
} from './admin.ts';
export type { BacklogLimits, BackoffOptions, OverflowPolicy, SubscriptionMode } from '../broker/queues/types.ts';
export { FerryError, ErrorCode, isFerryError } from '../common/errors.ts';
export { DEFAULT_PORT } from './url.ts';

import type { ApiSpec } from '../codec.ts';
import { fetchApi } from './fetch.ts';
import { deleteGroupsApi, describeGroupApi, listGroupsApi } from './group-admin.ts';
import { commitOffsetsApi, fetchOffsetsApi } from './group-offsets.ts';
import { heartbeatApi, joinGroupApi, leaveGroupApi, syncGroupApi } from './groups.ts';
import { helloApi } from './hello.ts';
import { metadataApi } from './metadata.ts';
import { deleteRecordsApi, listOffsetsApi } from './offsets.ts';
import { initProducerIdApi, produceApi } from './produce.ts';
import { ackApi, extendDeadlineApi, nackApi, setPrefetchApi, subscribeApi, unsubscribeApi } from './queue-consumers.ts';
import {
  createSubscriptionApi,
  deleteSubscriptionApi,
  describeSubscriptionApi,
  describeTopicQueuePolicyApi,
  listSubscriptionsApi,
  replayDeadLettersApi,
  setTopicQueuePolicyApi,
} from './subscriptions.ts';
import {
  alterTopicConfigApi,
  brokerConfigApi,
  createPartitionsApi,
  createTopicsApi,
  deleteTopicsApi,
  describeTopicApi,
  listTopicsApi,
} from './topics.ts';

/** Every API of the native protocol, for version negotiation, docs and fuzzing. */
export const ALL_APIS: readonly ApiSpec<unknown, unknown>[] = [
  helloApi,
  metadataApi,
  createTopicsApi,
  deleteTopicsApi,
  listTopicsApi,
  describeTopicApi,
  createPartitionsApi,
  alterTopicConfigApi,
  brokerConfigApi,
  produceApi,
  fetchApi,
  listOffsetsApi,
  initProducerIdApi,
  deleteRecordsApi,
  joinGroupApi,
  syncGroupApi,
  heartbeatApi,
  leaveGroupApi,
  commitOffsetsApi,
  fetchOffsetsApi,
  listGroupsApi,
  describeGroupApi,
  deleteGroupsApi,
  createSubscriptionApi,
  deleteSubscriptionApi,
  listSubscriptionsApi,
  describeSubscriptionApi,
  subscribeApi,
  unsubscribeApi,
  ackApi,
  nackApi,
  extendDeadlineApi,
  setPrefetchApi,
  replayDeadLettersApi,
  setTopicQueuePolicyApi,
  describeTopicQueuePolicyApi,
];

export * from './fetch.ts';
export * from './group-admin.ts';
export * from './group-offsets.ts';
export * from './groups.ts';
export * from './hello.ts';
export * from './metadata.ts';
export * from './offsets.ts';
export * from './produce.ts';
export * from './queue-consumers.ts';
export * from './queue-push.ts';
export * from './queue-types.ts';
export * from './subscriptions.ts';
export * from './topic-types.ts';
export * from './topics.ts';

import type { ApiSchema } from '../protocol/api.ts';
import { alterConfigsApi } from './alter-configs.ts';
import { apiVersionsApi } from './api-versions.ts';
import { createPartitionsApi } from './create-partitions.ts';
import { createTopicsApi } from './create-topics.ts';
import { deleteGroupsApi } from './delete-groups.ts';
import { deleteRecordsApi } from './delete-records.ts';
import { deleteTopicsApi } from './delete-topics.ts';
import { describeClusterApi } from './describe-cluster.ts';
import { describeConfigsApi } from './describe-configs.ts';
import { describeGroupsApi } from './describe-groups.ts';
import { fetchApi } from './fetch.ts';
import { findCoordinatorApi } from './find-coordinator.ts';
import { heartbeatApi } from './heartbeat.ts';
import { incrementalAlterConfigsApi } from './incremental-alter-configs.ts';
import { initProducerIdApi } from './init-producer-id.ts';
import { joinGroupApi } from './join-group.ts';
import { leaveGroupApi } from './leave-group.ts';
import { listGroupsApi } from './list-groups.ts';
import { listOffsetsApi } from './list-offsets.ts';
import { metadataApi } from './metadata.ts';
import { offsetCommitApi } from './offset-commit.ts';
import { offsetFetchApi } from './offset-fetch.ts';
import { offsetForLeaderEpochApi } from './offset-for-leader-epoch.ts';
import { produceApi } from './produce.ts';
import { syncGroupApi } from './sync-group.ts';

/** Every API Ferry serves over the Kafka protocol, by key: the source of the ApiVersions answer. */
export const KAFKA_APIS: ReadonlyMap<number, ApiSchema<unknown, unknown>> = new Map(
  [
    produceApi,
    fetchApi,
    listOffsetsApi,
    metadataApi,
    offsetCommitApi,
    offsetFetchApi,
    findCoordinatorApi,
    joinGroupApi,
    heartbeatApi,
    leaveGroupApi,
    syncGroupApi,
    describeGroupsApi,
    listGroupsApi,
    apiVersionsApi,
    createTopicsApi,
    deleteTopicsApi,
    deleteRecordsApi,
    initProducerIdApi,
    offsetForLeaderEpochApi,
    describeConfigsApi,
    alterConfigsApi,
    createPartitionsApi,
    deleteGroupsApi,
    incrementalAlterConfigsApi,
    describeClusterApi,
  ].map((api): [number, ApiSchema<unknown, unknown>] => [api.key, api as ApiSchema<unknown, unknown>]),
);

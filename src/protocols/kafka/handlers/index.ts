import { alterConfigsApi } from '../apis/alter-configs.ts';
import { createPartitionsApi } from '../apis/create-partitions.ts';
import { createTopicsApi } from '../apis/create-topics.ts';
import { deleteGroupsApi } from '../apis/delete-groups.ts';
import { deleteRecordsApi } from '../apis/delete-records.ts';
import { deleteTopicsApi } from '../apis/delete-topics.ts';
import { describeClusterApi } from '../apis/describe-cluster.ts';
import { describeConfigsApi } from '../apis/describe-configs.ts';
import { describeGroupsApi } from '../apis/describe-groups.ts';
import { fetchApi } from '../apis/fetch.ts';
import { findCoordinatorApi } from '../apis/find-coordinator.ts';
import { heartbeatApi } from '../apis/heartbeat.ts';
import { incrementalAlterConfigsApi } from '../apis/incremental-alter-configs.ts';
import { initProducerIdApi } from '../apis/init-producer-id.ts';
import { joinGroupApi } from '../apis/join-group.ts';
import { leaveGroupApi } from '../apis/leave-group.ts';
import { listGroupsApi } from '../apis/list-groups.ts';
import { listOffsetsApi } from '../apis/list-offsets.ts';
import { metadataApi } from '../apis/metadata.ts';
import { offsetCommitApi } from '../apis/offset-commit.ts';
import { offsetFetchApi } from '../apis/offset-fetch.ts';
import { offsetForLeaderEpochApi } from '../apis/offset-for-leader-epoch.ts';
import { produceApi } from '../apis/produce.ts';
import { syncGroupApi } from '../apis/sync-group.ts';
import { handleDescribeCluster } from './cluster.ts';
import { handleAlterConfigs, handleDescribeConfigs, handleIncrementalAlterConfigs } from './configs.ts';
import { handleDeleteRecords } from './delete-records.ts';
import { handleFetch } from './fetch.ts';
import { handleDeleteGroups, handleDescribeGroups, handleListGroups } from './group-admin.ts';
import { handleOffsetCommit, handleOffsetFetch } from './group-offsets.ts';
import { handleFindCoordinator, handleHeartbeat, handleJoinGroup, handleLeaveGroup, handleSyncGroup } from './groups.ts';
import { handleInitProducerId } from './init-producer-id.ts';
import { handleListOffsets } from './list-offsets.ts';
import { handleMetadata } from './metadata.ts';
import { handleOffsetForLeaderEpoch } from './offset-for-leader-epoch.ts';
import { handleProduce } from './produce.ts';
import { type Route, route } from './route.ts';
import { handleCreatePartitions, handleCreateTopics, handleDeleteTopics } from './topics.ts';

/** Every API key the session dispatches, with its handler. ApiVersions is answered by the
 *  session itself (it needs no broker and must work before anything else). */
export const ROUTES: ReadonlyMap<number, Route> = new Map(
  [
    route(produceApi, handleProduce),
    route(fetchApi, handleFetch),
    route(listOffsetsApi, handleListOffsets),
    route(metadataApi, handleMetadata),
    route(offsetCommitApi, handleOffsetCommit),
    route(offsetFetchApi, handleOffsetFetch),
    route(findCoordinatorApi, handleFindCoordinator),
    route(joinGroupApi, handleJoinGroup),
    route(heartbeatApi, handleHeartbeat),
    route(leaveGroupApi, handleLeaveGroup),
    route(syncGroupApi, handleSyncGroup),
    route(describeGroupsApi, handleDescribeGroups),
    route(listGroupsApi, handleListGroups),
    route(createTopicsApi, handleCreateTopics),
    route(deleteTopicsApi, handleDeleteTopics),
    route(deleteRecordsApi, handleDeleteRecords),
    route(initProducerIdApi, handleInitProducerId),
    route(offsetForLeaderEpochApi, handleOffsetForLeaderEpoch),
    route(describeConfigsApi, handleDescribeConfigs),
    route(alterConfigsApi, handleAlterConfigs),
    route(createPartitionsApi, handleCreatePartitions),
    route(deleteGroupsApi, handleDeleteGroups),
    route(incrementalAlterConfigsApi, handleIncrementalAlterConfigs),
    route(describeClusterApi, handleDescribeCluster),
  ].map((r): [number, Route] => [r.api.key, r]),
);

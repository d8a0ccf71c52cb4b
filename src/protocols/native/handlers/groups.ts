import { deleteGroupsApi, describeGroupApi, listGroupsApi } from '../apis/group-admin.ts';
import { commitOffsetsApi, fetchOffsetsApi } from '../apis/group-offsets.ts';
import { heartbeatApi, joinGroupApi, leaveGroupApi, syncGroupApi } from '../apis/groups.ts';
import { type Route, route } from './route.ts';

/** Consumer groups: the coordinator lives in the broker; these only translate. */
export const GROUP_ROUTES: readonly Route[] = [
  route(joinGroupApi, ({ broker, clientId, remoteHost, signal }, request) =>
    broker.joinGroup({ ...request, clientId, clientHost: remoteHost, signal }),
  ),
  route(syncGroupApi, ({ broker, signal }, request) => broker.syncGroup({ ...request, signal })),
  route(heartbeatApi, async ({ broker }, request) => {
    await broker.heartbeat(request);
    return {};
  }),
  route(leaveGroupApi, async ({ broker }, request) => {
    await broker.leaveGroup(request.groupId, request.members);
    return {};
  }),
  route(commitOffsetsApi, async ({ broker }, request) => {
    await broker.commitOffsets(request);
    return {};
  }),
  route(fetchOffsetsApi, async ({ broker }, request) => ({
    offsets: await broker.fetchOffsets(request.groupId, request.partitions ?? undefined),
  })),
  route(listGroupsApi, async ({ broker }) => ({ groups: broker.listGroups() })),
  route(describeGroupApi, async ({ broker }, request) => broker.describeGroup(request.groupId)),
  route(deleteGroupsApi, async ({ broker }, request) => {
    const results = await broker.deleteGroups(request.groupIds);
    return { groups: request.groupIds.map((groupId) => ({ groupId, error: results.get(groupId) ?? null })) };
  }),
];

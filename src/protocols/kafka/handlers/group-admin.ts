import { ErrorCode, FerryError } from '../../../common/errors.ts';
import type { deleteGroupsRequest, deleteGroupsResponse } from '../apis/delete-groups.ts';
import type { describeGroupsRequest, describeGroupsResponse } from '../apis/describe-groups.ts';
import type { listGroupsRequest, listGroupsResponse } from '../apis/list-groups.ts';
import { AUTHORIZED_OPERATIONS_OMITTED } from '../apis/metadata.ts';
import { KafkaErrorCode, kafkaErrorOf, kafkaFailure } from '../error-codes.ts';
import type { Infer } from '../protocol/schema.ts';
import type { RequestContext } from './context.ts';

type DescribeGroupsRequest = Infer<typeof describeGroupsRequest>;
type DescribeGroupsResponse = Infer<typeof describeGroupsResponse>;
type DescribedGroup = DescribeGroupsResponse['groups'][number];
type ListGroupsRequest = Infer<typeof listGroupsRequest>;
type ListGroupsResponse = Infer<typeof listGroupsResponse>;
type DeleteGroupsRequest = Infer<typeof deleteGroupsRequest>;
type DeleteGroupsResponse = Infer<typeof deleteGroupsResponse>;

/** Every group here is a classic (JoinGroup/SyncGroup) group, KIP-848's "classic" type. */
const GROUP_TYPE = 'classic';

/** DescribeGroups: a group the broker does not know is described as Dead with no error, as Kafka
 *  answers up to v5. */
export function handleDescribeGroups(ctx: RequestContext, request: DescribeGroupsRequest): DescribeGroupsResponse {
  return { throttleTimeMs: 0, groups: request.groups.map((groupId) => describe(ctx, groupId)) };
}

function describe(ctx: RequestContext, groupId: string): DescribedGroup {
  try {
    const group = ctx.broker.describeGroup(groupId);
    return {
      errorCode: KafkaErrorCode.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType,
      protocolData: group.protocolName,
      members: group.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: m.metadata,
        memberAssignment: m.assignment,
      })),
      authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  } catch (error) {
    const isUnknown = error instanceof FerryError && error.code === ErrorCode.GROUP_ID_NOT_FOUND;
    return {
      errorCode: isUnknown ? KafkaErrorCode.NONE : kafkaFailure(error, ctx.logger, 'DescribeGroups').code,
      groupId,
      groupState: 'Dead',
      protocolType: '',
      protocolData: '',
      members: [],
      authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  }
}

/** ListGroups, filtered by state (v4+, case-insensitive as in Kafka) and type (v5+). */
export function handleListGroups(ctx: RequestContext, request: ListGroupsRequest): ListGroupsResponse {
  const states = new Set(request.statesFilter.map((s) => s.toLowerCase()));
  const types = new Set(request.typesFilter.map((t) => t.toLowerCase()));
  const groups = ctx.broker
    .listGroups()
    .filter((g) => states.size === 0 || states.has(g.state.toLowerCase()))
    .filter(() => types.size === 0 || types.has(GROUP_TYPE))
    .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: GROUP_TYPE }));
  return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, groups };
}

export async function handleDeleteGroups(ctx: RequestContext, request: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
  try {
    const outcome = await ctx.broker.deleteGroups(request.groupsNames);
    return {
      throttleTimeMs: 0,
      results: request.groupsNames.map((groupId) => ({ groupId, errorCode: kafkaErrorOf(outcome.get(groupId)) })),
    };
  } catch (error) {
    const errorCode = kafkaFailure(error, ctx.logger, 'DeleteGroups').code;
    return { throttleTimeMs: 0, results: request.groupsNames.map((groupId) => ({ groupId, errorCode })) };
  }
}

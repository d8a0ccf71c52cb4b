import { ErrorCode, FerryError } from '../../../common/errors.ts';
import type { findCoordinatorRequest, findCoordinatorResponse } from '../apis/find-coordinator.ts';
import type { heartbeatRequest, heartbeatResponse } from '../apis/heartbeat.ts';
import type { joinGroupRequest, joinGroupResponse } from '../apis/join-group.ts';
import type { leaveGroupRequest, leaveGroupResponse } from '../apis/leave-group.ts';
import type { syncGroupRequest, syncGroupResponse } from '../apis/sync-group.ts';
import { KafkaErrorCode, kafkaFailure } from '../error-codes.ts';
import type { Infer } from '../protocol/schema.ts';
import type { RequestContext } from './context.ts';

type FindCoordinatorRequest = Infer<typeof findCoordinatorRequest>;
type FindCoordinatorResponse = Infer<typeof findCoordinatorResponse>;
type JoinGroupRequest = Infer<typeof joinGroupRequest>;
type JoinGroupResponse = Infer<typeof joinGroupResponse>;
type SyncGroupRequest = Infer<typeof syncGroupRequest>;
type SyncGroupResponse = Infer<typeof syncGroupResponse>;
type HeartbeatRequest = Infer<typeof heartbeatRequest>;
type HeartbeatResponse = Infer<typeof heartbeatResponse>;
type LeaveGroupRequest = Infer<typeof leaveGroupRequest>;
type LeaveGroupResponse = Infer<typeof leaveGroupResponse>;

const EMPTY = Buffer.alloc(0);

/** FindCoordinator: this broker coordinates every group (and transactional id) on one node. */
export function handleFindCoordinator(ctx: RequestContext, request: FindCoordinatorRequest): FindCoordinatorResponse {
  const { nodeId, host, port } = ctx.node;
  return {
    throttleTimeMs: 0,
    errorCode: KafkaErrorCode.NONE,
    errorMessage: null,
    nodeId,
    host,
    port,
    coordinators: request.coordinatorKeys.map((key) => ({ key, nodeId, host, port, errorCode: KafkaErrorCode.NONE, errorMessage: null })),
  };
}

/**
 * JoinGroup: the broker's coordinator holds the request until the rebalance completes (aborted if
 * the connection closes). From v4 a first join without member id must come back with the id the
 * MEMBER_ID_REQUIRED error carries (KIP-394); static members (v5+) skip that step.
 */
export async function handleJoinGroup(ctx: RequestContext, request: JoinGroupRequest): Promise<JoinGroupResponse> {
  // Before v7 the protocol name may not be null, even in an error answer.
  const noProtocol = ctx.apiVersion >= 7 ? null : '';
  try {
    const result = await ctx.broker.joinGroup({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      clientId: ctx.clientId,
      clientHost: ctx.clientHost,
      sessionTimeoutMs: request.sessionTimeoutMs,
      // v0 has no rebalance timeout: Kafka uses the session timeout.
      rebalanceTimeoutMs: ctx.apiVersion === 0 || request.rebalanceTimeoutMs < 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      requireKnownMemberId: ctx.apiVersion >= 4 && request.groupInstanceId === null,
      signal: ctx.signal,
    });
    return {
      throttleTimeMs: 0,
      errorCode: KafkaErrorCode.NONE,
      generationId: result.generationId,
      protocolType: result.protocolType,
      protocolName: result.protocolName,
      leader: result.leaderId,
      skipAssignment: false,
      memberId: result.memberId,
      members: result.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
    };
  } catch (error) {
    const failure = kafkaFailure(error, ctx.logger, 'JoinGroup');
    const assigned = error instanceof FerryError && error.code === ErrorCode.MEMBER_ID_REQUIRED ? error.details?.memberId : undefined;
    return {
      throttleTimeMs: 0,
      errorCode: failure.code,
      generationId: -1,
      protocolType: null,
      protocolName: noProtocol,
      leader: '',
      skipAssignment: false,
      memberId: typeof assigned === 'string' ? assigned : request.memberId,
      members: [],
    };
  }
}

export async function handleSyncGroup(ctx: RequestContext, request: SyncGroupRequest): Promise<SyncGroupResponse> {
  try {
    const result = await ctx.broker.syncGroup({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      // Copied: the coordinator keeps assignments beyond this request's buffer.
      assignments: request.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
      signal: ctx.signal,
    });
    return {
      throttleTimeMs: 0,
      errorCode: KafkaErrorCode.NONE,
      protocolType: result.protocolType,
      protocolName: result.protocolName,
      assignment: result.assignment,
    };
  } catch (error) {
    return {
      throttleTimeMs: 0,
      errorCode: kafkaFailure(error, ctx.logger, 'SyncGroup').code,
      protocolType: null,
      protocolName: null,
      assignment: EMPTY,
    };
  }
}

export async function handleHeartbeat(ctx: RequestContext, request: HeartbeatRequest): Promise<HeartbeatResponse> {
  try {
    await ctx.broker.heartbeat({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
    });
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE };
  } catch (error) {
    return { throttleTimeMs: 0, errorCode: kafkaFailure(error, ctx.logger, 'Heartbeat').code };
  }
}

/** LeaveGroup: one member up to v2, a batch from v3 (each answered with the call's outcome). */
export async function handleLeaveGroup(ctx: RequestContext, request: LeaveGroupRequest): Promise<LeaveGroupResponse> {
  const members =
    ctx.apiVersion <= 2
      ? [{ memberId: request.memberId, groupInstanceId: null }]
      : request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }));
  let errorCode: number = KafkaErrorCode.NONE;
  try {
    await ctx.broker.leaveGroup(request.groupId, members);
  } catch (error) {
    errorCode = kafkaFailure(error, ctx.logger, 'LeaveGroup').code;
  }
  return {
    throttleTimeMs: 0,
    errorCode,
    members: members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode })),
  };
}

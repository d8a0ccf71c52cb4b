import { ErrorCode, FerryError, toFerryError } from '../../common/errors.ts';
import type { HeartbeatRequest, JoinGroupRequest, OffsetCommitRequest } from '../types.ts';
import type { Group } from './group.ts';
import type { GroupConfig } from './group-config.ts';
import {
  currentGenerationMember,
  fencedInstance,
  groupBeingRemoved,
  rebalanceInProgress,
  requireGroupId,
  unknownMember,
} from './group-errors.ts';
import type { ValidJoinRequest } from './join-group.ts';
import { MAX_STRING_BYTES } from './offsets-codec.ts';
import type { Rebalancer } from './rebalancer.ts';

/** The member-facing requests other than JoinGroup and SyncGroup, and the checks of a JoinGroup
 *  that need no group: Kafka 3.x semantics throughout. */

export function validateJoin(config: GroupConfig, request: JoinGroupRequest): ValidJoinRequest {
  requireGroupId(request.groupId);
  const { groupMinSessionTimeoutMs: minMs, groupMaxSessionTimeoutMs: maxMs } = config;
  const sessionTimeoutMs = request.sessionTimeoutMs;
  if (!Number.isSafeInteger(sessionTimeoutMs) || sessionTimeoutMs < minMs || sessionTimeoutMs > maxMs) {
    throw new FerryError(ErrorCode.INVALID_SESSION_TIMEOUT, `session timeout ${sessionTimeoutMs} ms is outside [${minMs}, ${maxMs}]`, {
      groupMinSessionTimeoutMs: minMs,
      groupMaxSessionTimeoutMs: maxMs,
    });
  }
  if (request.protocolType === '' || request.protocols.length === 0) {
    throw new FerryError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'a member must name a protocol type and at least one protocol');
  }
  // Everything below is stored in the group's metadata record, whose strings are Kafka's.
  const strings = [
    request.groupId,
    request.protocolType,
    request.clientId ?? '',
    request.clientHost ?? '',
    request.groupInstanceId ?? '',
    request.memberId,
  ];
  for (const value of [...strings, ...request.protocols.map((protocol) => protocol.name)]) {
    if (Buffer.byteLength(value, 'utf8') > MAX_STRING_BYTES) {
      throw new FerryError(ErrorCode.INVALID_REQUEST, `a JoinGroup string field is longer than ${MAX_STRING_BYTES} bytes`);
    }
  }
  const maxProtocols = config.groupMaxProtocolsPerMember;
  if (request.protocols.length > maxProtocols) {
    throw new FerryError(ErrorCode.INVALID_REQUEST, `${request.protocols.length} protocols offered, at most ${maxProtocols}`);
  }
  let metadataBytes = 0;
  for (const protocol of request.protocols) metadataBytes += protocol.metadata.length;
  if (metadataBytes > config.groupMaxMemberMetadataBytes) {
    throw new FerryError(
      ErrorCode.INVALID_REQUEST,
      `protocol metadata of ${metadataBytes} bytes, at most ${config.groupMaxMemberMetadataBytes}`,
    );
  }
  // JoinGroup v0 has no rebalance timeout: Kafka uses the session timeout in its place.
  const rebalanceTimeoutMs =
    Number.isSafeInteger(request.rebalanceTimeoutMs) && request.rebalanceTimeoutMs > 0 ? request.rebalanceTimeoutMs : sessionTimeoutMs;
  const groupInstanceId = request.groupInstanceId === undefined || request.groupInstanceId === '' ? null : request.groupInstanceId;
  return { ...request, groupInstanceId, rebalanceTimeoutMs };
}

export function heartbeat(rebalancer: Rebalancer, group: Group | undefined, request: HeartbeatRequest): void {
  requireGroupId(request.groupId);
  if (group === undefined) throw unknownMember(request.groupId, request.memberId);
  if (group.is('Dead')) throw groupBeingRemoved(group);
  const member = currentGenerationMember(group, request.memberId, request.groupInstanceId, request.generationId);
  switch (group.state) {
    case 'Empty':
    case 'Dead':
      throw unknownMember(group.groupId, request.memberId);
    case 'PreparingRebalance':
      // The heartbeat answer is how members learn that they must join again.
      rebalancer.scheduleSessionExpiry(group, member);
      throw rebalanceInProgress(group);
    case 'CompletingRebalance':
    case 'Stable':
      // Kafka 3.x: a member may heartbeat while the leader computes the assignment.
      rebalancer.scheduleSessionExpiry(group, member);
  }
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId?: string | null;
}

/**
 * Removes members (a static member may be named by its instance id alone). Every member is tried;
 * if any failed, the first failure is thrown with `details.members` giving each member's outcome
 * (code or null), which a Kafka LeaveGroup v3+ answer needs.
 */
export function leaveGroup(rebalancer: Rebalancer, group: Group | undefined, groupId: string, members: readonly LeavingMember[]): void {
  requireGroupId(groupId);
  if (group?.is('Dead') === true) throw groupBeingRemoved(group);
  const outcomes: { memberId: string; groupInstanceId: string | null; code: ErrorCode | null }[] = [];
  let firstError: FerryError | null = null;
  for (const leaving of members) {
    const groupInstanceId = leaving.groupInstanceId ?? null;
    let error: FerryError | null = null;
    try {
      if (group === undefined) throw unknownMember(groupId, leaving.memberId);
      removeLeavingMember(rebalancer, group, leaving.memberId, groupInstanceId);
    } catch (caught) {
      error = toFerryError(caught);
    }
    firstError ??= error;
    outcomes.push({ memberId: leaving.memberId, groupInstanceId, code: error?.code ?? null });
  }
  if (firstError !== null) throw new FerryError(firstError.code, firstError.message, { ...firstError.details, members: outcomes });
}

function removeLeavingMember(rebalancer: Rebalancer, group: Group, memberId: string, groupInstanceId: string | null): void {
  if (memberId !== '' && group.isStaticMemberFenced(groupInstanceId, memberId)) throw fencedInstance(group, groupInstanceId);
  if (group.pendingMembers.has(memberId)) {
    rebalancer.removePendingMember(group, memberId);
    return;
  }
  const member = group.get(group.staticMemberId(groupInstanceId) ?? memberId);
  if (member === undefined) throw unknownMember(group.groupId, memberId);
  rebalancer.logger.info({ groupId: group.groupId, memberId: member.memberId, groupInstanceId }, 'member left the group');
  rebalancer.removeMemberAndUpdateGroup(group, member, `member ${member.memberId} left`);
}

/**
 * Kafka's validateOffsetCommit: a member of the current generation, or a standalone committer
 * (generation -1, no member id) into a group that has no members. A member's commit also counts
 * as a heartbeat.
 */
export function validateCommitter(rebalancer: Rebalancer, group: Group, request: OffsetCommitRequest): void {
  if (group.is('Dead')) throw groupBeingRemoved(group);
  const isStandalone = request.generationId < 0 && request.memberId === '' && (request.groupInstanceId ?? null) === null;
  if (isStandalone) {
    if (!group.is('Empty')) throw new FerryError(ErrorCode.UNKNOWN_MEMBER_ID, `group ${group.groupId} has members: only they can commit`);
    return;
  }
  const member = currentGenerationMember(group, request.memberId, request.groupInstanceId, request.generationId);
  // The member has its new generation but not its assignment yet: it must not commit for
  // partitions it may be about to lose. (PreparingRebalance still accepts commits: members
  // commit what they processed before they rejoin.)
  if (group.is('CompletingRebalance'))
    throw new FerryError(ErrorCode.REBALANCE_IN_PROGRESS, `group ${group.groupId} is completing a rebalance`);
  rebalancer.scheduleSessionExpiry(group, member);
}

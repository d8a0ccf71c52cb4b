import { ErrorCode, FerryError, toFerryError } from '../../common/errors.ts';
import type { SyncGroupRequest } from '../types.ts';
import type { Group } from './group.ts';
import { currentGenerationMember, groupBeingRemoved, rebalanceInProgress, unknownMember } from './group-errors.ts';
import type { SyncGroupResult } from './member.ts';
import type { Rebalancer } from './rebalancer.ts';

/**
 * SyncGroup, as Kafka 3.x: the leader's assignments are stored, then every member parked in
 * SyncGroup gets its part; followers that arrive before the leader wait for it. In a Stable
 * group a member simply gets its current assignment again.
 */
export function syncGroup(rebalancer: Rebalancer, group: Group | undefined, request: SyncGroupRequest): Promise<SyncGroupResult> {
  const { memberId, generationId } = request;
  if (group === undefined) throw unknownMember(request.groupId, memberId);
  if (group.is('Dead')) throw groupBeingRemoved(group);
  const member = currentGenerationMember(group, memberId, request.groupInstanceId, generationId);
  switch (group.state) {
    case 'Empty':
    case 'Dead':
      throw unknownMember(group.groupId, memberId);
    case 'PreparingRebalance':
      throw rebalanceInProgress(group);
    case 'Stable':
      rebalancer.removePendingSyncMember(group, memberId);
      rebalancer.scheduleSessionExpiry(group, member);
      return Promise.resolve({
        protocolType: group.protocolType ?? '',
        protocolName: group.protocolName ?? '',
        assignment: member.assignment,
      });
    case 'CompletingRebalance':
      break;
  }

  const assignments = memberId === group.leaderId ? leaderAssignments(rebalancer, group, request) : undefined;
  const answer = rebalancer.parkSync(group, member, request.signal);
  rebalancer.removePendingSyncMember(group, memberId);
  if (assignments !== undefined) {
    rebalancer.logger.info({ groupId: group.groupId, generationId }, 'assignment received from the leader');
    rebalancer.storeGroup(group, assignments).then(
      () => {
        // Another member may have joined while the write was in flight: then this generation is over.
        if (!group.is('CompletingRebalance') || group.generationId !== generationId) return;
        rebalancer.setAndPropagateAssignment(group, assignments);
        group.transitionTo('Stable', rebalancer.now());
      },
      (error: unknown) => {
        if (!group.is('CompletingRebalance') || group.generationId !== generationId) return;
        const failure = toFerryError(error);
        rebalancer.logger.warn({ groupId: group.groupId, generationId, error: failure.message }, 'could not store the group assignment');
        rebalancer.resetAndPropagateAssignmentError(group, failure);
        rebalancer.maybePrepareRebalance(group, 'storing the assignment failed');
      },
    );
  }
  return answer;
}

/** The leader's assignments for the current members (others ignored), empty for any it left out. */
function leaderAssignments(rebalancer: Rebalancer, group: Group, request: SyncGroupRequest): Map<string, Buffer> {
  const maxBytes = rebalancer.config.groupMaxMemberMetadataBytes;
  const given = new Map<string, Buffer>();
  for (const { memberId, assignment } of request.assignments) {
    if (assignment.length > maxBytes) {
      throw new FerryError(
        ErrorCode.INVALID_REQUEST,
        `assignment for member ${memberId} is ${assignment.length} bytes, above ${maxBytes}`,
        {
          memberId,
          sizeBytes: assignment.length,
          maxBytes,
        },
      );
    }
    if (group.has(memberId)) given.set(memberId, assignment);
  }
  const missing = [...group.members.keys()].filter((memberId) => !given.has(memberId));
  if (missing.length > 0) {
    rebalancer.logger.warn(
      { groupId: group.groupId, members: missing },
      'the leader sent no assignment for some members; they get an empty one',
    );
  }
  const assignments = new Map<string, Buffer>();
  for (const memberId of group.members.keys()) assignments.set(memberId, given.get(memberId) ?? Buffer.alloc(0));
  return assignments;
}

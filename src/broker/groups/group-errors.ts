import { ErrorCode, FerryError } from '../../common/errors.ts';
import type { Group } from './group.ts';
import type { Member } from './member.ts';

/** The errors every group request can answer, worded once. */

export function unknownMember(groupId: string, memberId: string): FerryError {
  return new FerryError(ErrorCode.UNKNOWN_MEMBER_ID, `member ${memberId} is not in group ${groupId}`);
}

export function illegalGeneration(group: Group, generationId: number): FerryError {
  return new FerryError(
    ErrorCode.ILLEGAL_GENERATION,
    `generation ${generationId} is not group ${group.groupId}'s current ${group.generationId}`,
    {
      generationId: group.generationId,
    },
  );
}

export function fencedInstance(group: Group, groupInstanceId: string | null | undefined): FerryError {
  return new FerryError(
    ErrorCode.FENCED_INSTANCE_ID,
    `instance ${groupInstanceId} of group ${group.groupId} belongs to another member now`,
  );
}

export function rebalanceInProgress(group: Group): FerryError {
  return new FerryError(ErrorCode.REBALANCE_IN_PROGRESS, `group ${group.groupId} is rebalancing: join again`);
}

export function groupBeingRemoved(group: Group): FerryError {
  // Deleted while the request was on its way: the client looks the coordinator up again.
  return new FerryError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group ${group.groupId} is being removed`);
}

/** FENCED_INSTANCE_ID for a zombie static member, UNKNOWN_MEMBER_ID for an unknown one. */
export function currentMember(group: Group, memberId: string, groupInstanceId: string | null | undefined): Member {
  if (group.isStaticMemberFenced(groupInstanceId, memberId)) throw fencedInstance(group, groupInstanceId);
  const member = group.get(memberId);
  if (member === undefined) throw unknownMember(group.groupId, memberId);
  return member;
}

/** Member of the current generation, as SyncGroup, Heartbeat and OffsetCommit require. */
export function currentGenerationMember(
  group: Group,
  memberId: string,
  groupInstanceId: string | null | undefined,
  generationId: number,
): Member {
  const member = currentMember(group, memberId, groupInstanceId);
  if (generationId !== group.generationId) throw illegalGeneration(group, generationId);
  return member;
}

export function requireGroupId(groupId: string): void {
  if (groupId === '') throw new FerryError(ErrorCode.INVALID_GROUP_ID, 'group id must not be empty');
}

import { randomUUID } from 'node:crypto';
import { ErrorCode, FerryError, toFerryError } from '../../common/errors.ts';
import type { JoinGroupRequest, JoinGroupResult } from '../types.ts';
import type { Group } from './group.ts';
import { fencedInstance, groupBeingRemoved, unknownMember } from './group-errors.ts';
import { Member } from './member.ts';
import { NEW_MEMBER_JOIN_TIMEOUT_MS, type Rebalancer } from './rebalancer.ts';

/** A JoinGroup already validated by the coordinator (timeouts in range, sizes bounded). */
export type ValidJoinRequest = JoinGroupRequest & { groupInstanceId: string | null; rebalanceTimeoutMs: number };

/**
 * JoinGroup against an existing group, as Kafka 3.x's GroupCoordinator.handleJoinGroup: new
 * members (empty id), known members, static members rejoining under a new id. Resolves when the
 * member's JoinGroup is answered, which for most paths is when the rebalance completes.
 */
export function joinGroup(rebalancer: Rebalancer, group: Group, request: ValidJoinRequest): Promise<JoinGroupResult> {
  const { memberId } = request;
  if (group.is('Dead')) throw groupBeingRemoved(group);
  if (!acceptsJoiningMember(group, request, rebalancer.config.groupMaxSize)) {
    const member = group.get(memberId);
    if (member !== undefined) rebalancer.removeMemberAndUpdateGroup(group, member, 'the group is over its maximum size');
    throw new FerryError(
      ErrorCode.GROUP_MAX_SIZE_REACHED,
      `group ${group.groupId} has reached its maximum size of ${rebalancer.config.groupMaxSize}`,
      {
        groupMaxSize: rebalancer.config.groupMaxSize,
      },
    );
  }
  const protocolNames = request.protocols.map((protocol) => protocol.name);
  if (!group.supportsProtocols(request.protocolType, protocolNames)) {
    throw new FerryError(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
      `group ${group.groupId} uses protocol type ${group.protocolType} with protocols [${[...group.candidateProtocols()].join(', ')}]; ` +
        `the member offers ${request.protocolType} [${protocolNames.join(', ')}]`,
    );
  }
  const answer = memberId === '' ? joinUnknownMember(rebalancer, group, request) : joinKnownMember(rebalancer, group, request);
  // Kafka's checkAndComplete: this join may have been the last one the phase was waiting for.
  rebalancer.tryCompleteJoin(group);
  return answer;
}

/** Kafka's acceptJoiningMember, plus ids reserved by MEMBER_ID_REQUIRED counting as members so
 *  that a flood of first joins cannot grow the group past its bound. */
function acceptsJoiningMember(group: Group, request: ValidJoinRequest, groupMaxSize: number): boolean {
  const { memberId } = request;
  // A reserved id, or a static member taking its own place back, adds nobody.
  if (group.pendingMembers.has(memberId) || group.staticMemberId(request.groupInstanceId) !== undefined) return true;
  switch (group.state) {
    case 'Empty':
    case 'Dead':
      return group.size < groupMaxSize;
    case 'PreparingRebalance':
      // Counting rejoined members (not all members) lets the last ones to rejoin be shed when
      // the bound was lowered below the group's size.
      return group.get(memberId)?.isAwaitingJoin === true || group.awaitingJoinCount + group.pendingMembers.size < groupMaxSize;
    case 'CompletingRebalance':
    case 'Stable':
      return group.has(memberId) || group.size < groupMaxSize;
  }
}

/** Kafka's form, `<client id or instance id>-<uuid>`, with the prefix cut short: the id travels in
 *  every request of the member and is stored in the group's metadata record. */
function generateMemberId(request: ValidJoinRequest): string {
  const prefix = (request.groupInstanceId ?? request.clientId ?? '').slice(0, MEMBER_ID_PREFIX_MAX_CHARS);
  return `${prefix === '' ? 'member' : prefix}-${randomUUID()}`;
}

const MEMBER_ID_PREFIX_MAX_CHARS = 128;

function joinUnknownMember(rebalancer: Rebalancer, group: Group, request: ValidJoinRequest): Promise<JoinGroupResult> {
  const newMemberId = generateMemberId(request);
  if (request.groupInstanceId !== null) {
    const oldMemberId = group.staticMemberId(request.groupInstanceId);
    if (oldMemberId !== undefined) return replaceStaticMember(rebalancer, group, oldMemberId, newMemberId, request);
    return addMemberAndRebalance(rebalancer, group, newMemberId, request);
  }
  if (request.requireKnownMemberId === true) {
    // JoinGroup v4+: hand out the id and have the client join again with it, so that a client
    // whose first answer is lost does not leave an anonymous member behind.
    rebalancer.addPendingMember(group, newMemberId, request.sessionTimeoutMs);
    throw new FerryError(ErrorCode.MEMBER_ID_REQUIRED, 'join again with the member id given', { memberId: newMemberId });
  }
  return addMemberAndRebalance(rebalancer, group, newMemberId, request);
}

function joinKnownMember(rebalancer: Rebalancer, group: Group, request: ValidJoinRequest): Promise<JoinGroupResult> {
  const { memberId, groupInstanceId } = request;
  if (group.pendingMembers.has(memberId)) return addMemberAndRebalance(rebalancer, group, memberId, request);
  if (group.isStaticMemberFenced(groupInstanceId, memberId)) throw fencedInstance(group, groupInstanceId);
  const member = group.get(memberId);
  if (member === undefined || (groupInstanceId !== null && group.staticMemberId(groupInstanceId) === undefined)) {
    throw unknownMember(group.groupId, memberId);
  }
  switch (group.state) {
    case 'PreparingRebalance':
      return updateMemberAndRebalance(rebalancer, group, member, request);
    case 'CompletingRebalance':
      // Same metadata: the member lost its JoinGroup answer; give it the current generation again.
      if (member.matches(request.protocols)) return Promise.resolve(currentGeneration(group, member, member.memberId === group.leaderId));
      return updateMemberAndRebalance(rebalancer, group, member, request);
    case 'Stable':
      // A leader's JoinGroup always rebalances: that is how it asks for a new assignment after
      // changes its metadata does not show (new partitions, for a consumer).
      if (member.memberId === group.leaderId || !member.matches(request.protocols)) {
        return updateMemberAndRebalance(rebalancer, group, member, request);
      }
      return Promise.resolve(currentGeneration(group, member, false));
    case 'Empty':
    case 'Dead':
      throw unknownMember(group.groupId, memberId);
  }
}

function currentGeneration(group: Group, member: Member, includeMembers: boolean): JoinGroupResult {
  return {
    generationId: group.generationId,
    protocolType: group.protocolType ?? '',
    protocolName: group.protocolName ?? '',
    leaderId: group.leaderId ?? '',
    memberId: member.memberId,
    members: includeMembers ? group.currentMemberMetadata() : [],
  };
}

function addMemberAndRebalance(
  rebalancer: Rebalancer,
  group: Group,
  memberId: string,
  request: ValidJoinRequest,
): Promise<JoinGroupResult> {
  const member = new Member({
    memberId,
    groupInstanceId: request.groupInstanceId,
    clientId: request.clientId ?? '',
    clientHost: request.clientHost ?? '',
    rebalanceTimeoutMs: request.rebalanceTimeoutMs,
    sessionTimeoutMs: request.sessionTimeoutMs,
    protocolType: request.protocolType,
    protocols: request.protocols,
  });
  member.isNew = true;
  // A member arriving during the initial delay extends it (group.initial.rebalance.delay.ms).
  if (group.joinPhase?.isInitialDelay === true) group.hasNewMemberAdded = true;
  group.add(member);
  const answer = rebalancer.parkJoin(group, member, request.signal);
  rebalancer.scheduleSessionExpiry(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
  if (group.pendingMembers.has(memberId)) {
    clearTimeout(group.pendingMembers.get(memberId));
    group.pendingMembers.delete(memberId);
  }
  rebalancer.maybePrepareRebalance(group, `member ${memberId} joined`);
  return answer;
}

function updateMemberAndRebalance(
  rebalancer: Rebalancer,
  group: Group,
  member: Member,
  request: ValidJoinRequest,
): Promise<JoinGroupResult> {
  member.protocols = request.protocols;
  member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
  member.sessionTimeoutMs = request.sessionTimeoutMs;
  const answer = rebalancer.parkJoin(group, member, request.signal);
  rebalancer.maybePrepareRebalance(group, `member ${member.memberId} rejoined`);
  return answer;
}

/**
 * A static member rejoins without its member id (it restarted): it takes over its old place
 * under a new id, and the old id is fenced. In a Stable group where nothing changed, that is all:
 * no rebalance, the member syncs and gets its old assignment back (KIP-345).
 */
async function replaceStaticMember(
  rebalancer: Rebalancer,
  group: Group,
  oldMemberId: string,
  newMemberId: string,
  request: ValidJoinRequest,
): Promise<JoinGroupResult> {
  const instanceId = request.groupInstanceId!;
  const old = group.get(oldMemberId)!;
  const fenced = new FerryError(ErrorCode.FENCED_INSTANCE_ID, `instance ${instanceId} rejoined as ${newMemberId}`);
  old.awaitingJoin?.reject(fenced);
  old.awaitingJoin = null;
  old.awaitingSync?.reject(fenced);
  old.awaitingSync = null;
  if (old.sessionTimer !== null) clearTimeout(old.sessionTimer);
  old.sessionTimer = null;

  const leaderBefore = group.leaderId;
  const isUnchanged = old.matches(request.protocols);
  const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
  member.protocols = request.protocols;
  member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
  member.sessionTimeoutMs = request.sessionTimeoutMs;
  rebalancer.scheduleSessionExpiry(group, member);
  rebalancer.logger.info({ groupId: group.groupId, instanceId, oldMemberId, newMemberId }, 'static member rejoined under a new member id');

  switch (group.state) {
    case 'Stable': {
      if (!isUnchanged || group.selectProtocol() !== group.protocolName) break;
      try {
        await rebalancer.storeGroup(group);
      } catch (error) {
        // The new id is not durable: put the old member back so nothing half-changed remains.
        if (group.get(newMemberId) === member) {
          const restored = group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
          restored.protocols = old.protocols;
          restored.rebalanceTimeoutMs = old.rebalanceTimeoutMs;
          restored.sessionTimeoutMs = old.sessionTimeoutMs;
          if (member.sessionTimer !== null) clearTimeout(member.sessionTimer);
          rebalancer.scheduleSessionExpiry(group, restored);
        }
        throw toFerryError(error);
      }
      // The old leader id is returned on purpose: a restarted static leader must not compute an
      // assignment that a Stable group would never hand out (Kafka does the same).
      return { ...currentGeneration(group, member, false), leaderId: leaderBefore ?? '' };
    }
    case 'CompletingRebalance':
    case 'PreparingRebalance':
      break;
    case 'Empty':
    case 'Dead':
      throw new FerryError(ErrorCode.UNKNOWN_SERVER_ERROR, `group ${group.groupId} has a static member while ${group.state}`);
  }
  const answer = rebalancer.parkJoin(group, member, request.signal);
  rebalancer.maybePrepareRebalance(group, `static member ${instanceId} rejoined with new metadata`);
  return answer;
}

import assert from 'node:assert/strict';
import { ErrorCode, FerryError, toFerryError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { JoinGroupResult } from '../types.ts';
import type { Group } from './group.ts';
import type { GroupConfig } from './group-config.ts';
import type { Member, SyncGroupResult } from './member.ts';
import { ParkedRequest } from './parked-request.ts';

/** Kafka's bound on a new member's first JoinGroup: it has no session yet, and a client whose
 *  connection dropped mid-rebalance would otherwise stay a defunct member forever. */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;

const EMPTY = Buffer.alloc(0);

export interface RebalancerOptions {
  config: GroupConfig;
  logger: Logger;
  now: () => number;
  /** Persists the group's metadata (members and the given or current assignments). */
  storeGroup(group: Group, assignments?: ReadonlyMap<string, Buffer>): Promise<void>;
}

/**
 * The transitions of the classic protocol that involve time or parked requests: session expiry,
 * the join phase (initial delay, rebalance timeout), completing a generation, propagating the
 * leader's assignment, and the pending-sync deadline of Kafka 3.x. Every timer is unref'd and
 * belongs to a group or member, so `shutdownGroup` can clear them all.
 */
export class Rebalancer {
  readonly config: GroupConfig;
  readonly logger: Logger;
  readonly now: () => number;
  private readonly storeGroupFn: RebalancerOptions['storeGroup'];

  constructor(options: RebalancerOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.now = options.now;
    this.storeGroupFn = options.storeGroup;
  }

  storeGroup(group: Group, assignments?: ReadonlyMap<string, Buffer>): Promise<void> {
    return this.storeGroupFn(group, assignments);
  }

  // ------------------------------------------------------------------------- parked requests

  /** Parks a JoinGroup for `member`; an earlier one still parked is superseded. */
  parkJoin(group: Group, member: Member, signal: AbortSignal | undefined): Promise<JoinGroupResult> {
    member.awaitingJoin?.reject(superseded('JoinGroup'));
    const parked: ParkedRequest<JoinGroupResult> = new ParkedRequest<JoinGroupResult>(signal, () =>
      this.onJoinAborted(group, member, parked),
    );
    member.awaitingJoin = parked;
    return parked.promise;
  }

  parkSync(group: Group, member: Member, signal: AbortSignal | undefined): Promise<SyncGroupResult> {
    member.awaitingSync?.reject(superseded('SyncGroup'));
    const parked: ParkedRequest<SyncGroupResult> = new ParkedRequest<SyncGroupResult>(signal, () => {
      if (member.awaitingSync === parked) member.awaitingSync = null;
      this.logger.debug({ groupId: group.groupId, memberId: member.memberId }, 'parked SyncGroup aborted');
    });
    member.awaitingSync = parked;
    return parked.promise;
  }

  /** The connection of a parked JoinGroup closed. A brand-new dynamic member is dropped (it
   *  will come back with a fresh join); any other member just no longer counts as rejoined. */
  private onJoinAborted(group: Group, member: Member, parked: ParkedRequest<JoinGroupResult>): void {
    if (member.awaitingJoin !== parked) return;
    member.awaitingJoin = null;
    if (group.get(member.memberId) !== member) return;
    this.logger.debug({ groupId: group.groupId, memberId: member.memberId }, 'parked JoinGroup aborted');
    if (member.isNew && !member.isStatic) this.removeMemberAndUpdateGroup(group, member, 'its connection closed during its first join');
  }

  private answerJoin(member: Member, result: JoinGroupResult): void {
    const parked = member.awaitingJoin;
    member.awaitingJoin = null;
    parked?.resolve(result);
  }

  private failJoin(member: Member, error: FerryError): void {
    const parked = member.awaitingJoin;
    member.awaitingJoin = null;
    parked?.reject(error);
  }

  private failSync(member: Member, error: FerryError): void {
    const parked = member.awaitingSync;
    member.awaitingSync = null;
    parked?.reject(error);
  }

  // --------------------------------------------------------------------------- session timers

  /** (Re)starts the member's session: it is removed unless it heartbeats within `timeoutMs`. */
  scheduleSessionExpiry(group: Group, member: Member, timeoutMs = member.sessionTimeoutMs): void {
    if (member.sessionTimer !== null && member.sessionTimerMs === timeoutMs) {
      member.sessionTimer.refresh();
      return;
    }
    if (member.sessionTimer !== null) clearTimeout(member.sessionTimer);
    member.sessionTimerMs = timeoutMs;
    member.sessionTimer = setTimeout(() => this.onSessionExpired(group, member), timeoutMs).unref();
  }

  private clearSession(member: Member): void {
    if (member.sessionTimer !== null) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
  }

  private onSessionExpired(group: Group, member: Member): void {
    member.sessionTimer = null;
    if (group.get(member.memberId) !== member) return;
    // A member parked in a rebalance cannot heartbeat; the rebalance timeout bounds it instead.
    // A new member's first join is bounded by NEW_MEMBER_JOIN_TIMEOUT_MS, which just expired.
    const isKeptAlive = (member.isAwaitingJoin && !member.isNew) || member.awaitingSync !== null;
    if (isKeptAlive) {
      this.scheduleSessionExpiry(group, member);
      return;
    }
    this.logger.info({ groupId: group.groupId, memberId: member.memberId }, 'member session expired, removing it from the group');
    this.removeMemberAndUpdateGroup(group, member, `session of member ${member.memberId} expired`);
  }

  // ------------------------------------------------------------------------------- membership

  /** Removes a member (leave, expiry, zombie) and moves the group along. */
  removeMemberAndUpdateGroup(group: Group, member: Member, reason: string): void {
    // UNKNOWN_MEMBER_ID tells a client that is still alive to join again from scratch.
    this.failJoin(member, new FerryError(ErrorCode.UNKNOWN_MEMBER_ID, `member ${member.memberId} was removed: ${reason}`));
    this.failSync(member, new FerryError(ErrorCode.UNKNOWN_MEMBER_ID, `member ${member.memberId} was removed: ${reason}`));
    this.clearSession(member);
    group.remove(member.memberId);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.maybePrepareRebalance(group, reason);
        break;
      case 'PreparingRebalance':
        this.tryCompleteJoin(group);
        break;
      case 'Empty':
      case 'Dead':
        break;
    }
  }

  /** Reserves an id handed out with MEMBER_ID_REQUIRED until the member joins with it. */
  addPendingMember(group: Group, memberId: string, timeoutMs: number): void {
    const timer = setTimeout(() => {
      if (group.pendingMembers.get(memberId) !== timer) return;
      this.logger.info({ groupId: group.groupId, memberId }, 'pending member did not rejoin in time, forgetting its id');
      this.removePendingMember(group, memberId);
    }, timeoutMs).unref();
    group.pendingMembers.set(memberId, timer);
  }

  removePendingMember(group: Group, memberId: string): void {
    const timer = group.pendingMembers.get(memberId);
    if (timer === undefined) return;
    clearTimeout(timer);
    group.pendingMembers.delete(memberId);
    // A join phase may have been waiting for this member only.
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
  }

  // ----------------------------------------------------------------------------- join phase

  maybePrepareRebalance(group: Group, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason);
  }

  prepareRebalance(group: Group, reason: string): void {
    // Members waiting for their assignment must rejoin instead.
    if (group.is('CompletingRebalance')) {
      this.resetAndPropagateAssignmentError(
        group,
        new FerryError(ErrorCode.REBALANCE_IN_PROGRESS, `group ${group.groupId} is rebalancing: ${reason}`),
      );
    }
    this.clearPendingSync(group);
    const isInitial = group.is('Empty');
    group.transitionTo('PreparingRebalance', this.now());
    this.logger.info({ groupId: group.groupId, generationId: group.generationId, reason }, 'preparing to rebalance group');
    if (isInitial) {
      const delayMs = this.config.groupInitialRebalanceDelayMs;
      this.startJoinPhase(group, delayMs, true, Math.max(group.rebalanceTimeoutMs - delayMs, 0));
    } else {
      this.startJoinPhase(group, group.rebalanceTimeoutMs, false, 0);
      this.tryCompleteJoin(group);
    }
  }

  private startJoinPhase(group: Group, delayMs: number, isInitialDelay: boolean, remainingMs: number): void {
    if (group.joinPhase !== null) clearTimeout(group.joinPhase.timer);
    const timer = setTimeout(() => this.onJoinPhaseTimer(group), delayMs).unref();
    group.joinPhase = { timer, isInitialDelay, remainingMs };
  }

  private onJoinPhaseTimer(group: Group): void {
    const phase = group.joinPhase;
    group.joinPhase = null;
    if (phase === null || !group.is('PreparingRebalance')) return;
    const delayMs = this.config.groupInitialRebalanceDelayMs;
    if (phase.isInitialDelay && group.hasNewMemberAdded && phase.remainingMs > 0 && delayMs > 0) {
      // Members keep arriving: wait once more, within the rebalance timeout (Kafka's InitialDelayedJoin).
      group.hasNewMemberAdded = false;
      const nextDelayMs = Math.min(delayMs, phase.remainingMs);
      this.startJoinPhase(group, nextDelayMs, true, Math.max(phase.remainingMs - nextDelayMs, 0));
      return;
    }
    this.completeJoin(group);
  }

  /** Completes the join phase early once every known member has rejoined (not during the
   *  initial delay, which always runs to its end so that more members can arrive). */
  tryCompleteJoin(group: Group): void {
    if (!group.is('PreparingRebalance')) return;
    if (group.joinPhase?.isInitialDelay === true) return;
    if (group.hasAllMembersJoined()) this.completeJoin(group);
  }

  completeJoin(group: Group): void {
    if (group.joinPhase !== null) clearTimeout(group.joinPhase.timer);
    group.joinPhase = null;
    group.hasNewMemberAdded = false;
    if (!group.is('PreparingRebalance')) return;

    // Dynamic members that did not rejoin in time are gone; static ones keep their place until
    // their session expires (KIP-345: a restarting static member should not cause a rebalance).
    for (const member of group.notYetRejoinedMembers()) {
      if (member.isStatic) continue;
      this.logger.info({ groupId: group.groupId, memberId: member.memberId }, 'member did not rejoin in time, removing it');
      this.failSync(member, new FerryError(ErrorCode.UNKNOWN_MEMBER_ID, `member ${member.memberId} did not rejoin in time`));
      this.clearSession(member);
      group.remove(member.memberId);
    }

    if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
      // Only static members that have not rejoined are left: wait until they do or expire.
      this.logger.warn({ groupId: group.groupId }, 'no member rejoined; waiting another rebalance timeout');
      this.startJoinPhase(group, group.rebalanceTimeoutMs, false, 0);
      return;
    }

    group.initNextGeneration(this.now());
    if (group.is('Empty')) {
      this.logger.info({ groupId: group.groupId, generationId: group.generationId }, 'group is now empty');
      this.storeGroup(group).catch((error: unknown) => {
        // Harmless: an empty generation has no members whose state could be lost.
        this.logger.warn({ groupId: group.groupId, error: toFerryError(error).message }, 'could not store empty group metadata');
      });
      return;
    }

    this.logger.info(
      { groupId: group.groupId, generationId: group.generationId, protocol: group.protocolName, members: group.members.size },
      'group rebalanced, new generation',
    );
    const memberMetadata = group.currentMemberMetadata();
    for (const member of group.members.values()) {
      this.answerJoin(member, {
        generationId: group.generationId,
        protocolType: group.protocolType ?? '',
        protocolName: group.protocolName ?? '',
        leaderId: group.leaderId ?? '',
        memberId: member.memberId,
        members: member.memberId === group.leaderId ? memberMetadata : [],
      });
      member.isNew = false;
      this.scheduleSessionExpiry(group, member);
      group.pendingSyncMembers.add(member.memberId);
    }
    this.schedulePendingSync(group);
  }

  // ------------------------------------------------------------------------------ sync phase

  /** Kafka 3.x: members that got the new generation must SyncGroup within the rebalance
   *  timeout, or they are removed and the group rebalances without them. */
  private schedulePendingSync(group: Group): void {
    if (group.pendingSyncTimer !== null) clearTimeout(group.pendingSyncTimer);
    const generationId = group.generationId;
    group.pendingSyncTimer = setTimeout(() => this.onPendingSyncExpired(group, generationId), group.rebalanceTimeoutMs).unref();
  }

  private clearPendingSync(group: Group): void {
    if (group.pendingSyncTimer !== null) clearTimeout(group.pendingSyncTimer);
    group.pendingSyncTimer = null;
    group.pendingSyncMembers.clear();
  }

  removePendingSyncMember(group: Group, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0 && group.pendingSyncTimer !== null) {
      clearTimeout(group.pendingSyncTimer);
      group.pendingSyncTimer = null;
    }
  }

  private onPendingSyncExpired(group: Group, generationId: number): void {
    group.pendingSyncTimer = null;
    if (generationId !== group.generationId || !(group.is('CompletingRebalance') || group.is('Stable'))) return;
    if (group.pendingSyncMembers.size === 0) return;
    const missing = [...group.pendingSyncMembers];
    this.logger.info({ groupId: group.groupId, generationId, members: missing }, 'members did not SyncGroup in time, removing them');
    for (const memberId of missing) {
      const member = group.get(memberId);
      if (member === undefined) continue;
      this.failSync(member, new FerryError(ErrorCode.UNKNOWN_MEMBER_ID, `member ${memberId} did not sync in time`));
      this.clearSession(member);
      group.remove(memberId);
    }
    this.prepareRebalance(group, `members ${missing.join(', ')} did not sync in time`);
  }

  /** The leader's assignment is stored: hand every parked follower its part. */
  setAndPropagateAssignment(group: Group, assignments: ReadonlyMap<string, Buffer>): void {
    assert.ok(group.is('CompletingRebalance'));
    for (const member of group.members.values()) member.assignment = assignments.get(member.memberId) ?? EMPTY;
    this.propagateAssignment(group, null);
  }

  resetAndPropagateAssignmentError(group: Group, error: FerryError): void {
    assert.ok(group.is('CompletingRebalance'));
    for (const member of group.members.values()) member.assignment = EMPTY;
    this.propagateAssignment(group, error);
  }

  private propagateAssignment(group: Group, error: FerryError | null): void {
    for (const member of group.members.values()) {
      const parked = member.awaitingSync;
      if (parked === null) continue;
      member.awaitingSync = null;
      if (error !== null) parked.reject(error);
      else
        parked.resolve({ protocolType: group.protocolType ?? '', protocolName: group.protocolName ?? '', assignment: member.assignment });
      // Its session restarts now: it may have waited long for the leader.
      this.scheduleSessionExpiry(group, member);
    }
  }

  // -------------------------------------------------------------------------------- teardown

  /** Clears every timer of the group and answers every parked request with `error`. */
  shutdownGroup(group: Group, error: FerryError): void {
    if (group.joinPhase !== null) clearTimeout(group.joinPhase.timer);
    group.joinPhase = null;
    this.clearPendingSync(group);
    for (const timer of group.pendingMembers.values()) clearTimeout(timer);
    group.pendingMembers.clear();
    for (const member of group.members.values()) {
      this.clearSession(member);
      this.failJoin(member, error);
      this.failSync(member, error);
    }
  }
}

function superseded(request: string): FerryError {
  // The member sent the request again (a retry on a new connection): the older one is void.
  return new FerryError(ErrorCode.REBALANCE_IN_PROGRESS, `${request} superseded by a newer one from the same member`);
}

import assert from 'node:assert/strict';
import type { GroupState, JoinGroupMember } from '../types.ts';
import type { Member } from './member.ts';

/**
 * Kafka's classic group state machine (GroupMetadata.scala), state only: the transitions that
 * need timers, parked requests or storage live in rebalancer.ts.
 *
 *   Empty --join--> PreparingRebalance --all joined / timeout--> CompletingRebalance
 *   CompletingRebalance --leader's SyncGroup stored--> Stable
 *   Stable | CompletingRebalance --join with new metadata, leave, session expiry--> PreparingRebalance
 *   PreparingRebalance --nobody left--> Empty;  any --deleted / offsets expired--> Dead
 */
const VALID_PREVIOUS_STATES: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  Empty: ['PreparingRebalance'],
};

/** The rebalance phase a group in PreparingRebalance is waiting out. */
export interface JoinPhase {
  timer: NodeJS.Timeout;
  /** True during `group.initial.rebalance.delay.ms`: the join completes at the timer, never early. */
  isInitialDelay: boolean;
  /** Initial delay only: how much of the rebalance timeout is left for further extensions. */
  remainingMs: number;
}

export class Group {
  readonly groupId: string;
  state: GroupState = 'Empty';
  /** When the group entered its state (ms): an Empty group's offsets expire from here. */
  stateTimestampMs: number;
  generationId = 0;
  /** Set by the first member; null for a group that only stores offsets (standalone commits). */
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** groupInstanceId -> memberId of static members. */
  readonly staticMembers = new Map<string, string>();
  /** Ids handed out with MEMBER_ID_REQUIRED, each with the timer that forgets it. */
  readonly pendingMembers = new Map<string, NodeJS.Timeout>();
  /** Members of the new generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  pendingSyncTimer: NodeJS.Timeout | null = null;
  joinPhase: JoinPhase | null = null;
  /** A member joined during the initial delay: extend it once more. */
  hasNewMemberAdded = false;
  /** Offset commits appended but not yet applied: expiry leaves the group alone meanwhile. */
  inFlightCommits = 0;

  constructor(groupId: string, nowMs: number) {
    this.groupId = groupId;
    this.stateTimestampMs = nowMs;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  get canRebalance(): boolean {
    return VALID_PREVIOUS_STATES.PreparingRebalance.includes(this.state);
  }

  /** Loading from the offsets log: the state Kafka stored (Empty or Stable), not a transition. */
  restoreState(state: 'Empty' | 'Stable', timestampMs: number): void {
    assert.ok(this.is('Empty'), `group ${this.groupId} restored while ${this.state}`);
    this.state = state;
    this.stateTimestampMs = timestampMs;
  }

  transitionTo(target: GroupState, nowMs: number): void {
    assert.ok(VALID_PREVIOUS_STATES[target].includes(this.state), `group ${this.groupId}: no transition from ${this.state} to ${target}`);
    this.state = target;
    this.stateTimestampMs = nowMs;
  }

  /** Members plus ids handed out and not yet used: what `group.max.size` counts. */
  get size(): number {
    return this.members.size + this.pendingMembers.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): Member | undefined {
    return this.members.get(memberId);
  }

  get leader(): Member | undefined {
    return this.leaderId === null ? undefined : this.members.get(this.leaderId);
  }

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    assert.equal(member.protocolType, this.protocolType);
    this.leaderId ??= member.memberId;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
  }

  /** Forgets a member (its timers and parked requests are the caller's to settle first). */
  remove(memberId: string): Member | undefined {
    const member = this.members.get(memberId);
    if (member === undefined) return undefined;
    this.members.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    return member;
  }

  /** Swaps a static member's id in place, keeping its place, assignment and leadership. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): Member {
    const old = this.members.get(oldMemberId);
    assert.ok(old !== undefined && old.groupInstanceId === groupInstanceId, `static member ${groupInstanceId} is not ${oldMemberId}`);
    const replacement = old.withMemberId(newMemberId);
    this.members.delete(oldMemberId);
    this.members.set(newMemberId, replacement);
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return replacement;
  }

  staticMemberId(groupInstanceId: string | null | undefined): string | undefined {
    return groupInstanceId == null ? undefined : this.staticMembers.get(groupInstanceId);
  }

  /** A request naming an instance id now held by another member id comes from a zombie. */
  isStaticMemberFenced(groupInstanceId: string | null | undefined, memberId: string): boolean {
    const current = this.staticMemberId(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  /** Protocols every member offers. */
  candidateProtocols(): Set<string> {
    let candidates: Set<string> | undefined;
    for (const member of this.members.values()) {
      if (candidates === undefined) candidates = new Set(member.protocols.map((protocol) => protocol.name));
      else for (const name of candidates) if (!member.supports(name)) candidates.delete(name);
    }
    return candidates ?? new Set();
  }

  /** Whether a member offering these can join: same protocol type and a protocol in common. */
  supportsProtocols(protocolType: string, protocolNames: readonly string[]): boolean {
    if (protocolType === '' || protocolNames.length === 0) return false;
    if (this.members.size === 0) return true;
    if (protocolType !== this.protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocolNames.some((name) => candidates.has(name));
  }

  /** Kafka's vote: each member names its favourite common protocol; most votes wins, ties go to
   *  the leader's preference order so the choice is deterministic. */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    assert.ok(candidates.size > 0, `group ${this.groupId} has no protocol in common`);
    const votes = new Map<string, number>();
    for (const member of this.members.values()) {
      const vote = member.vote(candidates);
      if (vote !== undefined) votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    const order = (this.leader ?? this.members.values().next().value)?.protocols.map((protocol) => protocol.name) ?? [...candidates];
    let best: string | undefined;
    let bestVotes = -1;
    for (const name of order) {
      const count = votes.get(name) ?? 0;
      if (candidates.has(name) && count > bestVotes) {
        best = name;
        bestVotes = count;
      }
    }
    assert.ok(best !== undefined);
    return best;
  }

  get awaitingJoinCount(): number {
    let count = 0;
    for (const member of this.members.values()) if (member.isAwaitingJoin) count++;
    return count;
  }

  hasAllMembersJoined(): boolean {
    return this.pendingMembers.size === 0 && this.awaitingJoinCount === this.members.size;
  }

  notYetRejoinedMembers(): Member[] {
    return [...this.members.values()].filter((member) => !member.isAwaitingJoin);
  }

  /** The longest rebalance timeout of the members: how long a rebalance waits for rejoins. */
  get rebalanceTimeoutMs(): number {
    let timeoutMs = 0;
    for (const member of this.members.values()) timeoutMs = Math.max(timeoutMs, member.rebalanceTimeoutMs);
    return timeoutMs;
  }

  /** If the leader did not rejoin, any member that did leads instead; false when none did. */
  maybeElectNewJoinedLeader(): boolean {
    const leader = this.leader;
    if (leader === undefined) return false;
    if (leader.isAwaitingJoin) return true;
    for (const member of this.members.values()) {
      if (member.isAwaitingJoin) {
        this.leaderId = member.memberId;
        return true;
      }
    }
    return false;
  }

  /** Ends the join phase: a new generation, its protocol chosen, or Empty when nobody is left. */
  initNextGeneration(nowMs: number): void {
    this.generationId += 1;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance', nowMs);
    } else {
      this.protocolName = null;
      this.transitionTo('Empty', nowMs);
    }
  }

  /** What the leader gets in its JoinGroup answer: every member's metadata for the protocol. */
  currentMemberMetadata(): JoinGroupMember[] {
    assert.ok(!this.is('Dead') && !this.is('PreparingRebalance'), `group ${this.groupId} has no member metadata in ${this.state}`);
    return [...this.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      metadata: member.metadataFor(this.protocolName),
    }));
  }
}

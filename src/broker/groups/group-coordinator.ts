import { ErrorCode, FerryError, toFerryError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type {
  BrokerApi,
  CommittedOffset,
  GroupDescription,
  GroupSummary,
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResult,
  OffsetCommitEntry,
  OffsetCommitRequest,
  SyncGroupRequest,
} from '../types.ts';
import { type AssignmentDecoder, deadGroupDescription, describeGroup, type TopicInfo } from './describe-group.ts';
import { Group } from './group.ts';
import { type GroupConfig, type GroupConfigInput, resolveGroupConfig } from './group-config.ts';
import { joinGroup, type ValidJoinRequest } from './join-group.ts';
import { Member, type SyncGroupResult } from './member.ts';
import { OffsetStore } from './offset-store.ts';
import type { OffsetsRecord } from './offsets-batch.ts';
import type { GroupMetadataValue } from './offsets-codec.ts';
import type { OffsetsLog } from './offsets-log.ts';
import { loadOffsetsLog } from './offsets-loader.ts';
import { groupMetadataRecord, groupTombstone, OffsetsWriter, offsetCommitRecord, offsetTombstone } from './offsets-writer.ts';
import { throwIfAborted } from './parked-request.ts';
import { Rebalancer } from './rebalancer.ts';
import { syncGroup } from './sync-group.ts';

export type { AssignmentDecoder, PartitionOffsets, TopicInfo } from './describe-group.ts';
export type { GroupConfig, GroupConfigInput } from './group-config.ts';
export { DEFAULT_GROUP_CONFIG } from './group-config.ts';
export type { OffsetsLog } from './offsets-log.ts';

export interface GroupCoordinatorOptions {
  /** The broker's config (a superset is fine); see GroupConfig for each field. */
  config: GroupConfigInput;
  logger: Logger;
  /** Where offsets and group metadata are kept: the broker's `__consumer_offsets`. */
  offsetsLog: OffsetsLog;
  /** Log start/end and high watermark of a partition, undefined when it does not exist: checks
   *  that committed partitions exist and computes lag in describeGroup. */
  topicInfo: TopicInfo;
  /** Wall clock for commit timestamps and retention; timers always use real time. */
  now?: () => number;
  /** Decodes `consumer` protocol assignments for describeGroup. */
  decodeAssignment?: AssignmentDecoder;
}

/** The group calls of BrokerApi: the broker delegates each of them to the coordinator 1:1. */
export type GroupApi = Pick<
  BrokerApi,
  | 'joinGroup'
  | 'syncGroup'
  | 'heartbeat'
  | 'leaveGroup'
  | 'commitOffsets'
  | 'fetchOffsets'
  | 'listGroups'
  | 'describeGroup'
  | 'deleteGroups'
>;

type Lifecycle = 'created' | 'loading' | 'active' | 'closed';

interface ValidCommitEntry {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string;
}

/**
 * Kafka's group coordinator (the classic protocol of Kafka 3.x brokers: JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, OffsetCommit/Fetch, DescribeGroups, ListGroups, DeleteGroups), with no
 * knowledge of any wire protocol: Kafka and native members of one group id are one group.
 * The broker constructs it, calls `load()` once at start and delegates its group calls 1:1.
 */
export class GroupCoordinator implements GroupApi {
  readonly config: GroupConfig;
  private readonly logger: Logger;
  private readonly offsetsLog: OffsetsLog;
  private readonly topicInfo: TopicInfo;
  private readonly now: () => number;
  private readonly decodeAssignment: AssignmentDecoder;
  private readonly groups = new Map<string, Group>();
  private readonly offsets = new OffsetStore();
  private readonly writer: OffsetsWriter;
  private readonly rebalancer: Rebalancer;
  private lifecycle: Lifecycle = 'created';
  private retentionTimer: NodeJS.Timeout | null = null;
  private commitSequence = 0;

  constructor(options: GroupCoordinatorOptions) {
    this.config = resolveGroupConfig(options.config);
    this.logger = options.logger.child({ component: 'group-coordinator' });
    this.offsetsLog = options.offsetsLog;
    this.topicInfo = options.topicInfo;
    this.now = options.now ?? Date.now;
    this.decodeAssignment = options.decodeAssignment ?? (() => []);
    this.writer = new OffsetsWriter(this.offsetsLog, this.now);
    this.rebalancer = new Rebalancer({
      config: this.config,
      logger: this.logger,
      now: this.now,
      storeGroup: (group, assignments) => this.writer.append([groupMetadataRecord(group, assignments)]),
    });
  }

  // ------------------------------------------------------------------------------- lifecycle

  /** Replays the offsets log (latest value per key wins, null deletes). Until it resolves, group
   *  calls fail with COORDINATOR_LOAD_IN_PROGRESS, as on a Kafka coordinator loading its partition. */
  async load(): Promise<void> {
    if (this.lifecycle !== 'created')
      throw new FerryError(ErrorCode.INVALID_REQUEST, `group coordinator cannot load while ${this.lifecycle}`);
    this.lifecycle = 'loading';
    const loaded = await loadOffsetsLog(this.offsetsLog, this.logger);
    if ((this.lifecycle as Lifecycle) === 'closed') return;
    for (const [groupId, value] of loaded.groups) this.restoreGroup(groupId, value);
    for (const [groupId, topics] of loaded.offsets) {
      if (!this.groups.has(groupId)) this.groups.set(groupId, new Group(groupId, this.now()));
      for (const [topic, partitions] of topics) {
        for (const [partition, value] of partitions) {
          this.offsets.set(groupId, topic, partition, {
            offset: value.offset,
            leaderEpoch: value.leaderEpoch,
            metadata: value.metadata,
            commitTimestampMs: value.commitTimestampMs,
            sequence: 0,
          });
        }
      }
    }
    this.retentionTimer = setInterval(() => void this.expireOffsets(), this.config.offsetsRetentionCheckIntervalMs).unref();
    this.lifecycle = 'active';
    this.logger.info(
      { groups: this.groups.size, records: loaded.recordCount, skipped: loaded.skippedCount },
      'group coordinator loaded __consumer_offsets',
    );
  }

  /** A group as last stored: Empty, or Stable with its members, whose sessions start now (they
   *  keep their assignment if they heartbeat in time, as after a Kafka coordinator failover). */
  private restoreGroup(groupId: string, value: GroupMetadataValue): void {
    const group = new Group(groupId, this.now());
    group.generationId = value.generationId;
    group.protocolType = value.protocolType === '' ? null : value.protocolType;
    this.groups.set(groupId, group);
    if (value.members.length === 0 || value.protocolName === null) {
      group.restoreState('Empty', value.currentStateTimestampMs >= 0 ? value.currentStateTimestampMs : this.now());
      return;
    }
    group.protocolName = value.protocolName;
    for (const stored of value.members) {
      const member = new Member({
        memberId: stored.memberId,
        groupInstanceId: stored.groupInstanceId,
        clientId: stored.clientId,
        clientHost: stored.clientHost,
        rebalanceTimeoutMs: stored.rebalanceTimeoutMs,
        sessionTimeoutMs: stored.sessionTimeoutMs,
        protocolType: value.protocolType,
        protocols: [{ name: value.protocolName, metadata: stored.subscription }],
      });
      member.assignment = stored.assignment;
      group.add(member);
    }
    if (value.leaderId !== null && group.has(value.leaderId)) group.leaderId = value.leaderId;
    group.restoreState('Stable', value.currentStateTimestampMs >= 0 ? value.currentStateTimestampMs : this.now());
    for (const member of group.members.values()) this.rebalancer.scheduleSessionExpiry(group, member);
  }

  /** Stops every timer, answers parked requests with COORDINATOR_NOT_AVAILABLE and waits for
   *  the appends in flight, so that the broker can close the offsets log after it. */
  async close(): Promise<void> {
    if (this.lifecycle === 'closed') return;
    this.lifecycle = 'closed';
    if (this.retentionTimer !== null) clearInterval(this.retentionTimer);
    this.retentionTimer = null;
    const error = new FerryError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the group coordinator is shutting down');
    for (const group of this.groups.values()) this.rebalancer.shutdownGroup(group, error);
    await this.writer.drain();
  }

  private ensureActive(): void {
    if (this.lifecycle === 'active') return;
    if (this.lifecycle === 'closed') throw new FerryError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the group coordinator is closed');
    throw new FerryError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'the group coordinator is loading __consumer_offsets');
  }

  private createGroup(groupId: string): Group {
    if (this.groups.size >= this.config.groupMaxCount) {
      throw new FerryError(ErrorCode.TOO_MANY_GROUPS, `the coordinator holds ${this.groups.size} groups, its limit`, {
        groupMaxCount: this.config.groupMaxCount,
      });
    }
    const group = new Group(groupId, this.now());
    this.groups.set(groupId, group);
    return group;
  }

  // ------------------------------------------------------------------------------ membership

  async joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    this.ensureActive();
    throwIfAborted(request.signal);
    const valid = this.validateJoin(request);
    let group = this.groups.get(request.groupId);
    let isCreated = false;
    if (group === undefined) {
      // Only a first join creates a group; a member id for a group we do not have is stale.
      if (request.memberId !== '') throw new FerryError(ErrorCode.UNKNOWN_MEMBER_ID, `group ${request.groupId} does not exist`);
      group = this.createGroup(request.groupId);
      isCreated = true;
    }
    try {
      return joinGroup(this.rebalancer, group, valid);
    } catch (error) {
      // A first join refused at once (protocol, size) leaves no empty group behind.
      if (isCreated && group.size === 0 && this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
      throw error;
    }
  }

  private validateJoin(request: JoinGroupRequest): ValidJoinRequest {
    requireGroupId(request.groupId);
    const { groupMinSessionTimeoutMs: minMs, groupMaxSessionTimeoutMs: maxMs } = this.config;
    if (!Number.isSafeInteger(request.sessionTimeoutMs) || request.sessionTimeoutMs < minMs || request.sessionTimeoutMs > maxMs) {
      throw new FerryError(
        ErrorCode.INVALID_SESSION_TIMEOUT,
        `session timeout ${request.sessionTimeoutMs} ms is outside [${minMs}, ${maxMs}]`,
        {
          groupMinSessionTimeoutMs: minMs,
          groupMaxSessionTimeoutMs: maxMs,
        },
      );
    }
    if (request.protocolType === '' || request.protocols.length === 0) {
      throw new FerryError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'a member must name a protocol type and at least one protocol');
    }
    if (request.protocols.length > this.config.groupMaxProtocolsPerMember) {
      throw new FerryError(
        ErrorCode.INVALID_REQUEST,
        `${request.protocols.length} protocols offered, at most ${this.config.groupMaxProtocolsPerMember}`,
      );
    }
    let metadataBytes = 0;
    for (const protocol of request.protocols) metadataBytes += protocol.metadata.length;
    if (metadataBytes > this.config.groupMaxMemberMetadataBytes) {
      throw new FerryError(
        ErrorCode.INVALID_REQUEST,
        `protocol metadata of ${metadataBytes} bytes, at most ${this.config.groupMaxMemberMetadataBytes}`,
      );
    }
    // JoinGroup v0 has no rebalance timeout: Kafka uses the session timeout in its place.
    const rebalanceTimeoutMs =
      Number.isSafeInteger(request.rebalanceTimeoutMs) && request.rebalanceTimeoutMs > 0
        ? request.rebalanceTimeoutMs
        : request.sessionTimeoutMs;
    const groupInstanceId = request.groupInstanceId === undefined || request.groupInstanceId === '' ? null : request.groupInstanceId;
    return { ...request, groupInstanceId, rebalanceTimeoutMs };
  }

  async syncGroup(request: SyncGroupRequest): Promise<SyncGroupResult> {
    // A coordinator still loading lost the rebalance in progress: the member must join again.
    if (this.lifecycle === 'loading') throw new FerryError(ErrorCode.REBALANCE_IN_PROGRESS, 'the group coordinator is loading: join again');
    this.ensureActive();
    throwIfAborted(request.signal);
    requireGroupId(request.groupId);
    return syncGroup(this.rebalancer, this.groups.get(request.groupId), request);
  }

  async heartbeat(request: HeartbeatRequest): Promise<void> {
    // Kafka answers heartbeats blindly while loading: the member's state is not known yet.
    if (this.lifecycle === 'loading') return;
    this.ensureActive();
    requireGroupId(request.groupId);
    const { memberId, generationId } = request;
    const group = this.groups.get(request.groupId);
    if (group === undefined) throw new FerryError(ErrorCode.UNKNOWN_MEMBER_ID, `group ${request.groupId} does not exist`);
    if (group.is('Dead')) throw new FerryError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group ${group.groupId} is being removed`);
    const member = this.currentMember(group, memberId, request.groupInstanceId);
    if (generationId !== group.generationId) {
      throw new FerryError(
        ErrorCode.ILLEGAL_GENERATION,
        `generation ${generationId} is not group ${group.groupId}'s current ${group.generationId}`,
        {
          generationId: group.generationId,
        },
      );
    }
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        throw new FerryError(ErrorCode.UNKNOWN_MEMBER_ID, `member ${memberId} is not in group ${group.groupId}`);
      case 'PreparingRebalance':
        // The heartbeat answer is how members learn that they must join again.
        this.rebalancer.scheduleSessionExpiry(group, member);
        throw new FerryError(ErrorCode.REBALANCE_IN_PROGRESS, `group ${group.groupId} is rebalancing: join again`);
      case 'CompletingRebalance':
      case 'Stable':
        this.rebalancer.scheduleSessionExpiry(group, member);
    }
  }

  /** FENCED_INSTANCE_ID for a zombie static member, UNKNOWN_MEMBER_ID for an unknown one. */
  private currentMember(group: Group, memberId: string, groupInstanceId: string | null | undefined): Member {
    if (group.isStaticMemberFenced(groupInstanceId, memberId)) {
      throw new FerryError(
        ErrorCode.FENCED_INSTANCE_ID,
        `instance ${groupInstanceId} of group ${group.groupId} belongs to another member now`,
      );
    }
    const member = group.get(memberId);
    if (member === undefined) throw new FerryError(ErrorCode.UNKNOWN_MEMBER_ID, `member ${memberId} is not in group ${group.groupId}`);
    return member;
  }

  /**
   * Removes members (a static member may be named by instance id alone). Every member is tried;
   * if any failed, the first failure is thrown with `details.members` giving each member's
   * outcome (code or null), which a Kafka LeaveGroup v3+ answer needs.
   */
  async leaveGroup(groupId: string, members: { memberId: string; groupInstanceId?: string | null }[]): Promise<void> {
    this.ensureActive();
    requireGroupId(groupId);
    const group = this.groups.get(groupId);
    if (group?.is('Dead') === true) throw new FerryError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group ${groupId} is being removed`);
    const outcomes: { memberId: string; groupInstanceId: string | null; code: ErrorCode | null }[] = [];
    let firstError: FerryError | null = null;
    for (const leaving of members) {
      const groupInstanceId = leaving.groupInstanceId ?? null;
      let error: FerryError | null = null;
      try {
        if (group === undefined) throw new FerryError(ErrorCode.UNKNOWN_MEMBER_ID, `group ${groupId} does not exist`);
        this.removeLeavingMember(group, leaving.memberId, groupInstanceId);
      } catch (caught) {
        error = toFerryError(caught);
      }
      firstError ??= error;
      outcomes.push({ memberId: leaving.memberId, groupInstanceId, code: error?.code ?? null });
    }
    if (firstError !== null) {
      throw new FerryError(firstError.code, firstError.message, { ...firstError.details, members: outcomes });
    }
  }

  private removeLeavingMember(group: Group, memberId: string, groupInstanceId: string | null): void {
    if (memberId !== '' && group.isStaticMemberFenced(groupInstanceId, memberId)) {
      throw new FerryError(
        ErrorCode.FENCED_INSTANCE_ID,
        `instance ${groupInstanceId} of group ${group.groupId} belongs to another member now`,
      );
    }
    if (group.pendingMembers.has(memberId)) {
      this.rebalancer.removePendingMember(group, memberId);
      return;
    }
    const staticMemberId = group.staticMemberId(groupInstanceId);
    const member = group.get(staticMemberId ?? memberId);
    if (member === undefined) throw new FerryError(ErrorCode.UNKNOWN_MEMBER_ID, `member ${memberId} is not in group ${group.groupId}`);
    this.logger.info({ groupId: group.groupId, memberId: member.memberId, groupInstanceId }, 'member left the group');
    this.rebalancer.removeMemberAndUpdateGroup(group, member, `member ${member.memberId} left`);
  }

  // --------------------------------------------------------------------------------- offsets

  /**
   * Commits all offsets of the request or none: every entry is checked (partition exists,
   * metadata size) before anything is written, and the first problem is thrown with
   * `details.partitions` listing each failing partition.
   */
  async commitOffsets(request: OffsetCommitRequest): Promise<void> {
    this.ensureActive();
    const entries = this.validateCommitEntries(request.offsets);
    const { groupId, generationId, memberId } = request;
    let group = this.groups.get(groupId);
    if (group === undefined) {
      // A group we do not have accepts only standalone commits (consumers that assign partitions
      // themselves and use the broker just to store offsets); anything else is from a past generation.
      if (generationId >= 0) throw new FerryError(ErrorCode.ILLEGAL_GENERATION, `group ${groupId} does not exist`);
      group = this.createGroup(groupId);
    }
    this.validateCommitter(group, request);
    const member = group.get(memberId);
    if (member !== undefined) this.rebalancer.scheduleSessionExpiry(group, member);
    if (entries.length === 0) return;

    const timestampMs = this.now();
    const sequence = ++this.commitSequence;
    const records: OffsetsRecord[] = entries.map((entry) =>
      offsetCommitRecord(groupId, entry.topic, entry.partition, {
        offset: entry.offset,
        leaderEpoch: entry.leaderEpoch,
        metadata: entry.metadata,
        commitTimestampMs: timestampMs,
      }),
    );
    group.inFlightCommits++;
    try {
      await this.writer.append(records);
    } finally {
      group.inFlightCommits--;
    }
    // The group may have been deleted while the write was in flight: its tombstones came later.
    if (this.groups.get(groupId) !== group) return;
    for (const entry of entries) {
      this.offsets.set(groupId, entry.topic, entry.partition, {
        offset: entry.offset,
        leaderEpoch: entry.leaderEpoch,
        metadata: entry.metadata,
        commitTimestampMs: timestampMs,
        sequence,
      });
    }
  }

  private validateCommitEntries(offsets: readonly OffsetCommitEntry[]): ValidCommitEntry[] {
    const byPartition = new Map<string, ValidCommitEntry>();
    const failures: { topic: string; partition: number; error: FerryError }[] = [];
    for (const entry of offsets) {
      const { topic, partition } = entry;
      const metadata = entry.metadata ?? '';
      const metadataBytes = Buffer.byteLength(metadata, 'utf8');
      if (!Number.isSafeInteger(entry.offset) || !Number.isSafeInteger(partition) || partition < 0) {
        const error = new FerryError(ErrorCode.INVALID_REQUEST, `offset ${entry.offset} for ${topic}-${partition} is not valid`);
        failures.push({ topic, partition, error });
      } else if (metadataBytes > this.config.offsetMetadataMaxBytes) {
        const error = new FerryError(
          ErrorCode.OFFSET_METADATA_TOO_LARGE,
          `offset metadata for ${topic}-${partition} is ${metadataBytes} bytes, at most ${this.config.offsetMetadataMaxBytes}`,
        );
        failures.push({ topic, partition, error });
      } else if (this.topicInfo(topic, partition) === undefined) {
        const error = new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition} does not exist`);
        failures.push({ topic, partition, error });
      } else {
        byPartition.set(`${topic}\u0000${partition}`, {
          topic,
          partition,
          offset: entry.offset,
          leaderEpoch: entry.leaderEpoch ?? -1,
          metadata,
        });
      }
    }
    const first = failures[0];
    if (first !== undefined) {
      const partitions = failures.map(({ topic, partition, error }) => ({ topic, partition, code: error.code }));
      throw new FerryError(first.error.code, first.error.message, { partitions });
    }
    return [...byPartition.values()];
  }

  /** Kafka's validateOffsetCommit: members of the current generation, or a standalone committer
   *  (generation -1, no member id) into a group that has no members. */
  private validateCommitter(group: Group, request: OffsetCommitRequest): void {
    if (group.is('Dead')) throw new FerryError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group ${group.groupId} is being removed`);
    const isStandalone = request.generationId < 0 && request.memberId === '' && (request.groupInstanceId ?? null) === null;
    if (isStandalone) {
      if (!group.is('Empty')) {
        throw new FerryError(ErrorCode.UNKNOWN_MEMBER_ID, `group ${group.groupId} has members: only they can commit`);
      }
      return;
    }
    this.currentMember(group, request.memberId, request.groupInstanceId);
    if (request.generationId !== group.generationId) {
      throw new FerryError(
        ErrorCode.ILLEGAL_GENERATION,
        `generation ${request.generationId} is not group ${group.groupId}'s current ${group.generationId}`,
        { generationId: group.generationId },
      );
    }
    // The member has its new generation but not yet its assignment: it must not commit for
    // partitions it may be about to lose. (PreparingRebalance still accepts commits: members
    // commit what they processed before they rejoin.)
    if (group.is('CompletingRebalance')) {
      throw new FerryError(ErrorCode.REBALANCE_IN_PROGRESS, `group ${group.groupId} is completing a rebalance`);
    }
  }

  /** Committed offsets; -1 (and null metadata) for a requested partition without a commit. */
  async fetchOffsets(groupId: string, partitions?: { topic: string; partition: number }[]): Promise<CommittedOffset[]> {
    this.ensureActive();
    if (partitions === undefined) {
      return [...this.offsets.entries(groupId)].map(({ topic, partition, value }) => ({
        topic,
        partition,
        offset: value.offset,
        leaderEpoch: value.leaderEpoch,
        metadata: value.metadata,
      }));
    }
    return partitions.map(({ topic, partition }) => {
      const value = this.offsets.get(groupId, topic, partition);
      if (value === undefined) return { topic, partition, offset: -1, leaderEpoch: -1, metadata: null };
      return { topic, partition, offset: value.offset, leaderEpoch: value.leaderEpoch, metadata: value.metadata };
    });
  }

  /**
   * Deletes committed offsets that outlived `offsetsRetentionMs` in groups without members:
   * counted from when the group became empty or from the commit, whichever is later (from the
   * commit alone for groups that never had members). A group left with nothing is removed.
   * Runs every `offsetsRetentionCheckIntervalMs`; returns how many offsets expired.
   */
  async expireOffsets(): Promise<number> {
    if (this.lifecycle !== 'active') return 0;
    const nowMs = this.now();
    const retentionMs = this.config.offsetsRetentionMs;
    const records: OffsetsRecord[] = [];
    let expiredCount = 0;
    for (const [groupId, group] of this.groups) {
      if (!group.is('Empty') || group.inFlightCommits > 0) continue;
      const isStandalone = group.protocolType === null;
      for (const { topic, partition, value } of [...this.offsets.entries(groupId)]) {
        const sinceMs = isStandalone ? value.commitTimestampMs : Math.max(group.stateTimestampMs, value.commitTimestampMs);
        if (nowMs - sinceMs < retentionMs) continue;
        this.offsets.delete(groupId, topic, partition);
        records.push(offsetTombstone(groupId, topic, partition));
        expiredCount++;
      }
      if (!this.offsets.hasOffsets(groupId) && group.size === 0) {
        // Kafka's Empty -> Dead at cleanup: nothing is left to remember the group by.
        group.transitionTo('Dead', nowMs);
        this.groups.delete(groupId);
        if (group.generationId > 0) records.push(groupTombstone(groupId));
      }
    }
    if (expiredCount > 0) this.logger.info({ expired: expiredCount }, 'expired committed offsets');
    try {
      await this.writer.append(records);
    } catch (error) {
      // Memory is already clean; the log keeps the values until the next delete of these keys.
      this.logger.warn({ error: toFerryError(error).message }, 'could not write offset expiry tombstones');
    }
    return expiredCount;
  }

  /** The broker deleted a topic: its committed offsets go from every group (Kafka's
   *  handleDeletedPartitions), so a topic created again under that name starts clean. */
  async deleteTopicOffsets(topic: string): Promise<void> {
    this.ensureActive();
    const removed = this.offsets.deleteTopic(topic);
    await this.writer.append(removed.map(({ groupId, partition }) => offsetTombstone(groupId, topic, partition)));
  }

  // ---------------------------------------------------------------------------------- admin

  listGroups(): GroupSummary[] {
    this.ensureActive();
    const summaries: GroupSummary[] = [];
    for (const group of this.groups.values()) {
      if (!group.is('Dead')) summaries.push({ groupId: group.groupId, protocolType: group.protocolType ?? '', state: group.state });
    }
    return summaries;
  }

  /** An unknown group is described as Dead with nothing in it, as Kafka 3.x does. */
  describeGroup(groupId: string): GroupDescription {
    this.ensureActive();
    const group = this.groups.get(groupId);
    if (group === undefined) return deadGroupDescription(groupId);
    return describeGroup(group, this.offsets, this.topicInfo, this.decodeAssignment);
  }

  /** Deletes groups without members, with their offsets (tombstones). Per group: null, or
   *  GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, or the write's error. */
  async deleteGroups(groupIds: string[]): Promise<Map<string, FerryError | null>> {
    this.ensureActive();
    const results = new Map<string, FerryError | null>();
    const records: OffsetsRecord[] = [];
    const deleted: string[] = [];
    for (const groupId of groupIds) {
      if (results.has(groupId)) continue;
      const group = this.groups.get(groupId);
      if (group === undefined || group.is('Dead')) {
        results.set(groupId, new FerryError(ErrorCode.GROUP_ID_NOT_FOUND, `group ${groupId} does not exist`));
        continue;
      }
      if (!group.is('Empty')) {
        results.set(groupId, new FerryError(ErrorCode.NON_EMPTY_GROUP, `group ${groupId} has members (${group.state})`));
        continue;
      }
      group.transitionTo('Dead', this.now());
      this.rebalancer.shutdownGroup(group, new FerryError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group ${groupId} was deleted`));
      this.groups.delete(groupId);
      for (const { topic, partition } of this.offsets.entries(groupId)) records.push(offsetTombstone(groupId, topic, partition));
      this.offsets.deleteGroup(groupId);
      records.push(groupTombstone(groupId));
      deleted.push(groupId);
      results.set(groupId, null);
    }
    try {
      await this.writer.append(records);
      if (deleted.length > 0) this.logger.info({ groups: deleted }, 'deleted groups');
    } catch (error) {
      const failure = toFerryError(error);
      for (const groupId of deleted) results.set(groupId, failure);
    }
    return results;
  }
}

function requireGroupId(groupId: string): void {
  if (groupId === '') throw new FerryError(ErrorCode.INVALID_GROUP_ID, 'group id must not be empty');
}

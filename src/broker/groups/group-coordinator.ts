import { CONSUMER_PROTOCOL_TYPE, decodeAssignment, decodeSubscription } from '../../common/consumer-protocol.ts';
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
  OffsetCommitRequest,
  SyncGroupRequest,
} from '../types.ts';
import { type AssignmentDecoder, deadGroupDescription, describeGroup, type TopicInfo } from './describe-group.ts';
import { Group } from './group.ts';
import { type GroupConfig, type GroupConfigInput, resolveGroupConfig } from './group-config.ts';
import { requireGroupId } from './group-errors.ts';
import { joinGroup } from './join-group.ts';
import { Member, type SyncGroupResult } from './member.ts';
import { heartbeat, type LeavingMember, leaveGroup, validateCommitter, validateJoin } from './membership.ts';
import { OffsetManager } from './offset-manager.ts';
import type { OffsetsRecord } from './offsets-batch.ts';
import type { GroupMetadataValue } from './offsets-codec.ts';
import type { OffsetsLog } from './offsets-log.ts';
import { loadOffsetsLog } from './offsets-loader.ts';
import { groupMetadataRecord, groupTombstone, OffsetsWriter } from './offsets-writer.ts';
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
  /** Decodes `consumer` protocol assignments for describeGroup; default: common/consumer-protocol. */
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
  /** Every group with members, reserved member ids or committed offsets; none is Dead. */
  private readonly groups = new Map<string, Group>();
  private readonly writer: OffsetsWriter;
  private readonly offsets: OffsetManager;
  private readonly rebalancer: Rebalancer;
  private lifecycle: Lifecycle = 'created';
  private retentionTimer: NodeJS.Timeout | null = null;

  constructor(options: GroupCoordinatorOptions) {
    this.config = resolveGroupConfig(options.config);
    this.logger = options.logger.child({ component: 'group-coordinator' });
    this.offsetsLog = options.offsetsLog;
    this.topicInfo = options.topicInfo;
    this.now = options.now ?? Date.now;
    this.decodeAssignment = options.decodeAssignment ?? ((assignment) => decodeAssignment(assignment).assignedPartitions);
    this.writer = new OffsetsWriter(this.offsetsLog, this.now);
    this.offsets = new OffsetManager({ config: this.config, topicInfo: this.topicInfo, writer: this.writer, now: this.now });
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
    for (const groupId of loaded.offsets.keys()) if (!this.groups.has(groupId)) this.groups.set(groupId, new Group(groupId, this.now()));
    this.offsets.restore(loaded.offsets);
    this.retentionTimer = setInterval(() => void this.expireOffsets(), this.config.offsetsRetentionCheckIntervalMs).unref();
    this.lifecycle = 'active';
    this.logger.info({ groups: this.groups.size, records: loaded.recordCount, skipped: loaded.skippedCount }, 'loaded __consumer_offsets');
  }

  /** A group as last stored: Empty, or Stable with its members, whose sessions start now (they
   *  keep their assignment if they heartbeat in time, as after a Kafka coordinator failover). */
  private restoreGroup(groupId: string, value: GroupMetadataValue): void {
    const group = new Group(groupId, this.now());
    group.generationId = value.generationId;
    group.protocolType = value.protocolType === '' ? null : value.protocolType;
    this.groups.set(groupId, group);
    const stateTimestampMs = value.currentStateTimestampMs >= 0 ? value.currentStateTimestampMs : this.now();
    if (value.members.length === 0 || value.protocolName === null) {
      group.restoreState('Empty', stateTimestampMs);
      return;
    }
    group.protocolName = value.protocolName;
    for (const stored of value.members) {
      const { subscription, assignment, ...identity } = stored;
      const member = new Member({
        ...identity,
        protocolType: value.protocolType,
        protocols: [{ name: value.protocolName, metadata: subscription }],
      });
      member.assignment = assignment;
      group.add(member);
    }
    if (value.leaderId !== null && group.has(value.leaderId)) group.leaderId = value.leaderId;
    group.restoreState('Stable', stateTimestampMs);
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
    const maxCount = this.config.groupMaxCount;
    if (this.groups.size >= maxCount) {
      throw new FerryError(ErrorCode.TOO_MANY_GROUPS, `the coordinator holds ${this.groups.size} groups, its limit`, {
        groupMaxCount: maxCount,
      });
    }
    const group = new Group(groupId, this.now());
    this.groups.set(groupId, group);
    return group;
  }

  /** Removes a group for good (deleted, or nothing left to remember it by): Kafka's Dead. */
  private removeGroup(group: Group, reason: string): void {
    group.transitionTo('Dead', this.now());
    this.rebalancer.shutdownGroup(group, new FerryError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group ${group.groupId} ${reason}`));
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
  }

  // ------------------------------------------------------------------------------ membership

  async joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    this.ensureActive();
    throwIfAborted(request.signal);
    const valid = validateJoin(this.config, request);
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
    heartbeat(this.rebalancer, this.groups.get(request.groupId), request);
  }

  /** Every member is tried; if any failed, the first error is thrown with `details.members`
   *  giving each member's outcome (see membership.ts). */
  async leaveGroup(groupId: string, members: LeavingMember[]): Promise<void> {
    this.ensureActive();
    leaveGroup(this.rebalancer, this.groups.get(groupId), groupId, members);
  }

  // --------------------------------------------------------------------------------- offsets

  /** All or nothing (see OffsetManager.validate); from members of the current generation, or
   *  standalone (generation -1, no member id) into a group without members or a new one. */
  async commitOffsets(request: OffsetCommitRequest): Promise<void> {
    this.ensureActive();
    const entries = this.offsets.validate(request.offsets);
    let group = this.groups.get(request.groupId);
    if (group === undefined) {
      // A group we do not have accepts only standalone commits (consumers that assign partitions
      // themselves and use the broker just to store offsets); anything else is from a past generation.
      if (request.generationId >= 0) throw new FerryError(ErrorCode.ILLEGAL_GENERATION, `group ${request.groupId} does not exist`);
      group = this.createGroup(request.groupId);
    }
    validateCommitter(this.rebalancer, group, request);
    const committing = group;
    await this.offsets.commit(committing, entries, () => this.groups.get(committing.groupId) === committing);
  }

  async fetchOffsets(groupId: string, partitions?: { topic: string; partition: number }[]): Promise<CommittedOffset[]> {
    this.ensureActive();
    return this.offsets.fetch(groupId, partitions);
  }

  /**
   * Expires the offsets of groups without members after `offsetsRetentionMs` (see
   * OffsetManager.expire) and removes groups left with nothing. Runs every
   * `offsetsRetentionCheckIntervalMs`; returns how many offsets expired.
   */
  async expireOffsets(): Promise<number> {
    if (this.lifecycle !== 'active') return 0;
    const nowMs = this.now();
    const records: OffsetsRecord[] = [];
    let expiredCount = 0;
    for (const group of [...this.groups.values()]) {
      const tombstones = this.offsets.expire(group, nowMs, subscribedTopics(group));
      expiredCount += tombstones.length;
      records.push(...tombstones);
      if (group.is('Empty') && group.size === 0 && group.inFlightCommits === 0 && !this.offsets.hasOffsets(group.groupId)) {
        this.removeGroup(group, 'expired');
        // Groups that had a generation have a metadata record to delete too.
        if (group.generationId > 0) records.push(groupTombstone(group.groupId));
      }
    }
    if (expiredCount > 0) this.logger.info({ expired: expiredCount }, 'expired committed offsets');
    try {
      await this.writer.append(records);
    } catch (error) {
      // Memory is already clean; the log keeps the values until these keys are deleted again.
      this.logger.warn({ error: toFerryError(error).message }, 'could not write offset expiry tombstones');
    }
    return expiredCount;
  }

  /** The broker deleted a topic: its committed offsets go from every group, so a topic created
   *  again under that name starts clean. */
  async deleteTopicOffsets(topic: string): Promise<void> {
    this.ensureActive();
    await this.offsets.deleteTopic(topic);
  }

  // ---------------------------------------------------------------------------------- admin

  listGroups(): GroupSummary[] {
    this.ensureActive();
    return [...this.groups.values()].map((group) => ({
      groupId: group.groupId,
      protocolType: group.protocolType ?? '',
      state: group.state,
    }));
  }

  /** An unknown group is described as Dead with nothing in it, as Kafka 3.x does. */
  describeGroup(groupId: string): GroupDescription {
    this.ensureActive();
    const group = this.groups.get(groupId);
    if (group === undefined) return deadGroupDescription(groupId);
    return describeGroup(group, this.offsets.store, this.topicInfo, this.decodeAssignment);
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
      if (group === undefined) {
        results.set(groupId, new FerryError(ErrorCode.GROUP_ID_NOT_FOUND, `group ${groupId} does not exist`));
      } else if (!group.is('Empty')) {
        results.set(groupId, new FerryError(ErrorCode.NON_EMPTY_GROUP, `group ${groupId} has members (${group.state})`));
      } else {
        this.removeGroup(group, 'was deleted');
        records.push(...this.offsets.deleteGroup(groupId), groupTombstone(groupId));
        deleted.push(groupId);
        results.set(groupId, null);
      }
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

/** Topics the members of a Stable consumer group subscribe to; undefined when not known (another
 *  protocol type, or a subscription that does not decode): then no offset expires for lack of one. */
function subscribedTopics(group: Group): Set<string> | undefined {
  if (!group.is('Stable') || group.protocolType !== CONSUMER_PROTOCOL_TYPE) return undefined;
  const topics = new Set<string>();
  try {
    for (const member of group.members.values()) {
      for (const topic of decodeSubscription(member.metadataFor(group.protocolName)).topics) topics.add(topic);
    }
  } catch {
    return undefined;
  }
  return topics;
}

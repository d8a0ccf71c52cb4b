import { ErrorCode, type FerryError, toFerryError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { heartbeatApi, joinGroupApi, leaveGroupApi, syncGroupApi } from '../protocols/native/apis/groups.ts';
import { backoffMs, sleep } from './backoff.ts';
import type { Channel } from './channel.ts';
import { assignPartitions, decodeMemberAssignment, encodeSubscription, subscribedTopics, type TopicPartitions } from './group-protocol.ts';

export interface GroupMemberOptions {
  groupId: string;
  groupInstanceId: string | null;
  topics: readonly string[];
  assignors: readonly string[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  requestTimeoutMs: number;
  retryBackoffMs: number;
  maxRetryBackoffMs: number;
  logger: Logger;
}

export interface GroupCallbacks {
  /** Before (re)joining: stop fetching, commit what was consumed. Partitions are gone after. */
  onRevoke(): Promise<void>;
  /** After SyncGroup: start on the new assignment. */
  onAssign(assignment: TopicPartitions[]): Promise<void>;
  /** Leader only: partition counts of every topic some member subscribes to. */
  partitionCounts(topics: readonly string[]): Promise<Map<string, number>>;
  /** Partitions this member owns now (sent in its subscription for sticky assignors). */
  ownedPartitions(): TopicPartitions[];
  /** Membership failed for good (e.g. INCONSISTENT_GROUP_PROTOCOL, FENCED_INSTANCE_ID). */
  onFatal(error: FerryError): void;
}

/** Errors after which joining again cannot help. */
const FATAL: ReadonlySet<string> = new Set([
  ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  ErrorCode.INVALID_SESSION_TIMEOUT,
  ErrorCode.GROUP_MAX_SIZE_REACHED,
  ErrorCode.FENCED_INSTANCE_ID,
  ErrorCode.INVALID_GROUP_ID,
  ErrorCode.UNSUPPORTED_VERSION,
]);

/** Errors meaning "this generation is over: join again". */
const REJOIN: ReadonlySet<string> = new Set([ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID]);

/**
 * Membership of one consumer in a group, Kafka's classic protocol seen from the member: join
 * (the leader runs the assignor over every member's subscription), sync, heartbeat on a timer;
 * when a heartbeat says the group is rebalancing, revoke (commit first), then join again.
 * Eager: every partition is revoked before each rejoin.
 */
export class GroupMember {
  memberId = '';
  generationId = -1;
  private readonly channel: Channel;
  private readonly options: GroupMemberOptions;
  private readonly callbacks: GroupCallbacks;
  private rejoining: Promise<void> | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private isStable = false;
  private isClosed = false;

  constructor(channel: Channel, options: GroupMemberOptions, callbacks: GroupCallbacks) {
    this.channel = channel;
    this.options = options;
    this.callbacks = callbacks;
  }

  get groupId(): string {
    return this.options.groupId;
  }

  /** True between a completed SyncGroup and the next revocation: commits are accepted. */
  get hasGeneration(): boolean {
    return this.memberId !== '' && this.generationId >= 0;
  }

  /** Joins (or rejoins); concurrent calls share one rebalance. */
  rejoin(reason: string): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.rejoining ??= this.runRejoin(reason).finally(() => {
      this.rejoining = null;
    });
    return this.rejoining;
  }

  /** Waits for a rebalance in progress, if any. */
  async settled(): Promise<void> {
    while (this.rejoining) await this.rejoining;
  }

  /** Stops heartbeats and leaves the group, so the others rebalance at once. */
  async leave(): Promise<void> {
    this.isClosed = true;
    this.stopHeartbeats();
    if (!this.memberId) return;
    const memberId = this.memberId;
    this.memberId = '';
    this.generationId = -1;
    try {
      await this.channel.request(
        leaveGroupApi,
        { groupId: this.options.groupId, members: [{ memberId, groupInstanceId: this.options.groupInstanceId }] },
        { retries: 1 },
      );
    } catch (error) {
      this.options.logger.debug({ groupId: this.options.groupId, err: toFerryError(error).message }, 'leave group failed');
    }
  }

  /** Stops without telling the coordinator (crash simulation): the session must expire. */
  abandon(): void {
    this.isClosed = true;
    this.stopHeartbeats();
  }

  private async runRejoin(reason: string): Promise<void> {
    this.isStable = false;
    this.stopHeartbeats();
    this.options.logger.info({ groupId: this.options.groupId, memberId: this.memberId, reason }, 'joining group');
    await this.callbacks.onRevoke();
    for (let attempt = 0; !this.isClosed; attempt++) {
      try {
        await this.joinAndSync();
        return;
      } catch (error) {
        const failure = toFerryError(error);
        if (this.isClosed) return;
        if (FATAL.has(failure.code)) {
          this.options.logger.error(
            { groupId: this.options.groupId, code: failure.code, reason: failure.message },
            'group membership failed',
          );
          this.isClosed = true;
          this.callbacks.onFatal(failure);
          return;
        }
        if (failure.code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
        this.generationId = -1;
        this.options.logger.debug({ groupId: this.options.groupId, code: failure.code, attempt }, 'join failed; trying again');
        if (!REJOIN.has(failure.code)) {
          await sleep(backoffMs(attempt, this.options.retryBackoffMs, this.options.maxRetryBackoffMs), this.channel.closeSignal);
        }
      }
    }
  }

  private async joinAndSync(): Promise<void> {
    const subscription = encodeSubscription(this.options.topics, this.callbacks.ownedPartitions(), this.generationId);
    const join = await this.channel.request(
      joinGroupApi,
      {
        groupId: this.options.groupId,
        memberId: this.memberId,
        groupInstanceId: this.options.groupInstanceId,
        sessionTimeoutMs: this.options.sessionTimeoutMs,
        rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
        protocolType: 'consumer',
        protocols: this.options.assignors.map((name) => ({ name, metadata: subscription })),
      },
      // The coordinator holds a join until every member rejoined (up to the rebalance timeout).
      { timeoutMs: this.options.rebalanceTimeoutMs + this.options.requestTimeoutMs },
    );
    this.memberId = join.memberId;
    this.generationId = join.generationId;
    let assignments: { memberId: string; assignment: Buffer }[] = [];
    if (join.leaderId === join.memberId && join.members.length > 0) {
      const counts = await this.callbacks.partitionCounts(subscribedTopics(join.members));
      assignments = assignPartitions(join.protocolName, join.members, counts);
      this.options.logger.info(
        { groupId: this.options.groupId, generationId: join.generationId, members: join.members.length },
        'assigned group partitions as leader',
      );
    }
    const sync = await this.channel.request(
      syncGroupApi,
      {
        groupId: this.options.groupId,
        generationId: join.generationId,
        memberId: join.memberId,
        groupInstanceId: this.options.groupInstanceId,
        assignments,
      },
      { timeoutMs: this.options.rebalanceTimeoutMs + this.options.requestTimeoutMs },
    );
    const assignment = decodeMemberAssignment(sync.assignment);
    this.isStable = true;
    this.startHeartbeats();
    await this.callbacks.onAssign(assignment);
  }

  private startHeartbeats(): void {
    this.stopHeartbeats();
    this.heartbeatTimer = setTimeout(() => this.heartbeat(), this.options.heartbeatIntervalMs);
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private heartbeat(): void {
    this.heartbeatTimer = null;
    if (!this.isStable || this.isClosed) return;
    const generationId = this.generationId;
    this.channel
      .request(
        heartbeatApi,
        { groupId: this.options.groupId, generationId, memberId: this.memberId, groupInstanceId: this.options.groupInstanceId },
        { timeoutMs: Math.max(this.options.heartbeatIntervalMs, this.options.requestTimeoutMs) },
      )
      .then(
        () => {
          if (this.isStable && generationId === this.generationId) this.startHeartbeats();
        },
        (error: unknown) => {
          const failure = toFerryError(error);
          if (!this.isStable || this.isClosed || generationId !== this.generationId) return;
          if (REJOIN.has(failure.code)) {
            if (failure.code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
            void this.rejoin(`heartbeat: ${failure.code}`);
          } else if (FATAL.has(failure.code)) {
            this.isClosed = true;
            this.callbacks.onFatal(failure);
          } else {
            // Lost connection or timeout: keep trying within the session timeout.
            this.startHeartbeats();
          }
        },
      );
  }
}

import { ErrorCode, FerryError, toFerryError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { commitOffsetsApi, fetchOffsetsApi } from '../protocols/native/apis/group-offsets.ts';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffsetsApi } from '../protocols/native/apis/offsets.ts';
import { decodeChunk } from './batch-decoder.ts';
import type { Channel } from './channel.ts';
import { type ConsumerOptions, type ResolvedConsumerOptions, resolveConsumerOptions } from './consumer-options.ts';
import { type FetchedChunk, Fetcher } from './fetcher.ts';
import { GroupMember } from './group-member.ts';
import type { TopicPartitions } from './group-protocol.ts';
import { PartitionState, partitionKey } from './partition-state.ts';
import type { ConsumerMessage } from './records.ts';
import { TopicMetadata } from './topic-metadata.ts';

export type { ConsumerOptions };

export interface TopicPartition {
  topic: string;
  partition: number;
}

/**
 * Reads records: `for await (const message of consumer)`. In a group, partitions come from the
 * group's assignment and progress is committed to it; without a group, every partition of the
 * topics is read from `autoOffsetReset`.
 *
 * At-least-once: a message counts as processed once the loop body that received it finishes
 * (the loop asks for the next message, breaks or returns). Commits store the offset after the
 * last processed message of each partition, so a message being processed when the consumer
 * crashes or loses its partition is delivered again, and none is skipped.
 */
export class Consumer implements AsyncIterable<ConsumerMessage> {
  private readonly channel: Channel;
  private readonly options: ResolvedConsumerOptions;
  private readonly logger: Logger;
  private readonly metadata: TopicMetadata;
  private readonly fetcher: Fetcher;
  private readonly group: GroupMember | null;
  private states = new Map<string, PartitionState>();
  private readonly pendingSeeks = new Map<string, number>();
  private readonly closeController = new AbortController();
  private readonly started: Promise<void>;
  private fatal: FerryError | null = null;
  private autoCommitTimer: NodeJS.Timeout | null = null;
  private commitChain: Promise<void> = Promise.resolve();
  private isIterating = false;
  private isClosed = false;

  /** @internal Made by `FerryClient.consumer()`. */
  constructor(channel: Channel, options: ConsumerOptions, logger: Logger, clientRequestTimeoutMs: number) {
    this.channel = channel;
    this.options = resolveConsumerOptions(options, clientRequestTimeoutMs);
    this.logger = logger;
    this.metadata = new TopicMetadata(channel, { allowAutoTopicCreation: false });
    this.fetcher = new Fetcher(channel, {
      maxWaitMs: this.options.maxWaitMs,
      minBytes: this.options.minBytes,
      maxBytes: this.options.maxBytes,
      maxPartitionBytes: this.options.maxPartitionBytes,
      requestTimeoutMs: this.options.requestTimeoutMs,
      retryBackoffMs: channel.options.retryBackoffMs,
      maxRetryBackoffMs: channel.options.maxRetryBackoffMs,
      logger,
      onOutOfRange: (state) => this.resetOffsets([state]),
    });
    this.group = this.options.groupId
      ? new GroupMember(
          channel,
          {
            groupId: this.options.groupId,
            groupInstanceId: this.options.groupInstanceId,
            topics: this.options.topics,
            assignors: this.options.assignors,
            sessionTimeoutMs: this.options.sessionTimeoutMs,
            rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
            heartbeatIntervalMs: this.options.heartbeatIntervalMs,
            requestTimeoutMs: this.options.requestTimeoutMs,
            retryBackoffMs: channel.options.retryBackoffMs,
            maxRetryBackoffMs: channel.options.maxRetryBackoffMs,
            logger,
          },
          {
            onRevoke: () => this.revokeAll(),
            onAssign: (assignment) => this.assign(assignment),
            partitionCounts: (topics) => this.partitionCounts(topics),
            ownedPartitions: () => this.ownedPartitions(),
            onFatal: (error) => this.failWith(error),
          },
        )
      : null;
    this.started = this.start();
    this.started.catch((error: unknown) => this.failWith(toFerryError(error)));
    if (this.group && this.options.autoCommit) {
      this.autoCommitTimer = setInterval(() => this.commitAsync(), this.options.autoCommitIntervalMs);
      this.autoCommitTimer.unref();
    }
  }

  /** The group's id, or null for a consumer without group. */
  get groupId(): string | null {
    return this.options.groupId;
  }

  /** Partitions assigned to this consumer now. */
  assignment(): TopicPartition[] {
    return [...this.states.values()].map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /** Resolves once the consumer has partitions and positions (first assignment done). */
  async ready(): Promise<void> {
    await this.started;
    await this.group?.settled();
    if (this.fatal) throw this.fatal;
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumerMessage> {
    return this.messages();
  }

  /** One message at a time (what `for await (const m of consumer)` uses). */
  async *messages(): AsyncGenerator<ConsumerMessage, void, undefined> {
    // Yielded and not yet known to be done: marked when the loop comes back for more (or ends).
    let pending: FetchedChunk | null = null;
    let pendingNextOffset = -1;
    try {
      for await (const { chunk, messages } of this.decodedChunks()) {
        for (const message of messages) {
          if (!this.isCurrent(chunk)) break;
          pending = chunk;
          pendingNextOffset = message.offset + 1;
          yield message;
          this.markProcessed(chunk, pendingNextOffset);
          pending = null;
        }
      }
    } finally {
      if (pending) this.markProcessed(pending, pendingNextOffset);
      this.rewindToConsumed();
    }
  }

  /**
   * The records of one partition from one fetch at a time: fewer awaits per record than
   * `messages()`. The whole batch counts as processed when the loop asks for the next one.
   */
  async *batches(): AsyncGenerator<ConsumerMessage[], void, undefined> {
    let pending: FetchedChunk | null = null;
    let pendingNextOffset = -1;
    try {
      for await (const { chunk, messages } of this.decodedChunks()) {
        pending = chunk;
        pendingNextOffset = messages[messages.length - 1]!.offset + 1;
        yield messages;
        this.markProcessed(chunk, pendingNextOffset);
        pending = null;
      }
    } finally {
      if (pending) this.markProcessed(pending, pendingNextOffset);
      this.rewindToConsumed();
    }
  }

  /** Fetched chunks with their decoded messages (none empty), for one loop at a time. */
  private async *decodedChunks(): AsyncGenerator<{ chunk: FetchedChunk; messages: ConsumerMessage[] }, void, undefined> {
    if (this.isIterating) throw new FerryError(ErrorCode.INVALID_REQUEST, 'a consumer can be iterated by one loop at a time');
    this.isIterating = true;
    try {
      await this.ready();
      for (;;) {
        const chunks = await this.fetcher.next(this.closeController.signal);
        if (this.fatal) throw this.fatal;
        if (!chunks) return;
        for (const chunk of chunks) {
          if (!this.isCurrent(chunk)) continue;
          const messages = decodeChunk(chunk);
          if (messages.length > 0) yield { chunk, messages };
          if (this.fatal) throw this.fatal;
        }
      }
    } finally {
      this.isIterating = false;
    }
  }

  /** Commits the processed offsets now and waits for the answer. */
  commit(): Promise<void> {
    const run = this.commitChain.then(() => this.commitProcessed());
    this.commitChain = run.catch(() => {});
    return run;
  }

  /** Commits in the background; a failure is logged (and passed to `onDone`), not thrown. */
  commitAsync(onDone?: (error: FerryError | null) => void): void {
    this.commit().then(
      () => onDone?.(null),
      (error: unknown) => {
        const failure = toFerryError(error);
        this.logger.warn({ groupId: this.options.groupId, code: failure.code, reason: failure.message }, 'offset commit failed');
        onDone?.(failure);
      },
    );
  }

  /** Next fetch of the partition starts at `offset` (records buffered for it are dropped). For a
   *  partition not assigned yet, applies when it is. */
  seek(topic: string, partition: number, offset: number): void {
    if (!Number.isInteger(offset) || offset < 0) throw new FerryError(ErrorCode.OFFSET_OUT_OF_RANGE, `cannot seek to ${offset}`);
    const state = this.states.get(partitionKey(topic, partition));
    if (!state) {
      this.pendingSeeks.set(partitionKey(topic, partition), offset);
      return;
    }
    state.position = offset;
    state.consumed = offset;
    state.epoch++;
    this.fetcher.discard(state);
  }

  /** Stops fetching the given partitions of `topic` (all when omitted) until `resume`. */
  pause(topic: string, partitions?: readonly number[]): void {
    for (const state of this.statesOf(topic, partitions)) {
      if (state.isPaused) continue;
      state.isPaused = true;
      // Records fetched but not handed out are dropped and fetched again after resume.
      if (state.consumed >= 0) state.position = state.consumed;
      state.epoch++;
      this.fetcher.discard(state);
    }
  }

  resume(topic: string, partitions?: readonly number[]): void {
    for (const state of this.statesOf(topic, partitions)) state.isPaused = false;
    this.fetcher.kick();
  }

  /** Paused partitions. */
  paused(): TopicPartition[] {
    return [...this.states.values()].filter((s) => s.isPaused).map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /** Stops fetching, commits (with autoCommit), leaves the group, and ends the iteration. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.autoCommitTimer) clearInterval(this.autoCommitTimer);
    this.fetcher.stop();
    try {
      await this.group?.settled();
      if (this.group && this.options.autoCommit && !this.fatal) await this.commit();
    } catch (error) {
      this.logger.warn({ groupId: this.options.groupId, err: toFerryError(error).message }, 'final commit failed');
    } finally {
      await this.group?.leave();
      this.closeController.abort();
      this.channel.close();
    }
  }

  /** @internal Crash simulation: drops the connection without committing or leaving. */
  destroy(): void {
    this.isClosed = true;
    if (this.autoCommitTimer) clearInterval(this.autoCommitTimer);
    this.group?.abandon();
    this.fetcher.stop();
    this.closeController.abort();
    this.channel.close();
  }

  // ------------------------------------------------------------------------------ internals

  private async start(): Promise<void> {
    if (this.group) {
      await this.group.rejoin('starting');
      return;
    }
    const counts = await this.partitionCounts(this.options.topics);
    const assignment: TopicPartitions[] = [...counts].map(([topic, count]) => ({
      topic,
      partitions: Array.from({ length: count }, (_, i) => i),
    }));
    await this.assign(assignment);
  }

  private failWith(error: FerryError): void {
    if (this.fatal || this.isClosed) return;
    this.fatal = error;
    this.fetcher.stop();
    this.closeController.abort();
  }

  private isCurrent(chunk: FetchedChunk): boolean {
    return chunk.state.isAssigned && chunk.epoch === chunk.state.epoch && !chunk.state.isPaused;
  }

  /**
   * After a loop ends (break, return, throw), fetched records it never received must be read
   * again: the fetch position is moved back to the consumed offset and buffered records dropped.
   * Otherwise the rest of a batch left mid-way would be lost to the next loop, whose messages
   * would then move the committed offset past records nobody saw.
   */
  private rewindToConsumed(): void {
    if (this.isClosed) return;
    for (const state of this.states.values()) {
      if (state.consumed < 0 || state.position === state.consumed) continue;
      state.position = state.consumed;
      state.epoch++;
      this.fetcher.discard(state);
    }
  }

  private markProcessed(chunk: FetchedChunk, nextOffset: number): void {
    if (this.isCurrent(chunk) && nextOffset > chunk.state.consumed) chunk.state.consumed = nextOffset;
  }

  private statesOf(topic: string, partitions?: readonly number[]): PartitionState[] {
    return [...this.states.values()].filter((s) => s.topic === topic && (!partitions || partitions.includes(s.partition)));
  }

  private ownedPartitions(): TopicPartitions[] {
    const byTopic = new Map<string, number[]>();
    for (const state of this.states.values()) {
      const list = byTopic.get(state.topic) ?? [];
      list.push(state.partition);
      byTopic.set(state.topic, list);
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  }

  private async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const topic of topics) {
      try {
        counts.set(topic, await this.metadata.refresh(topic));
      } catch (error) {
        // A subscribed topic that does not exist yet gets no partitions (Kafka does the same).
        if (toFerryError(error).code !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw error;
        this.logger.warn({ topic }, 'subscribed topic does not exist');
      }
    }
    return counts;
  }

  /** Rebalance: stop fetching, commit what was processed, give every partition up. */
  private async revokeAll(): Promise<void> {
    this.fetcher.stop();
    if (this.group?.hasGeneration && this.options.autoCommit && this.states.size > 0) {
      try {
        await this.commit();
      } catch (error) {
        // The new owner starts from the last successful commit: redelivery, never a skip.
        this.logger.warn({ groupId: this.options.groupId, err: toFerryError(error).message }, 'commit before rebalance failed');
      }
    }
    for (const state of this.states.values()) state.isAssigned = false;
    this.states = new Map();
  }

  private async assign(assignment: TopicPartitions[]): Promise<void> {
    const states = new Map<string, PartitionState>();
    for (const { topic, partitions } of assignment) {
      for (const partition of partitions) states.set(partitionKey(topic, partition), new PartitionState(topic, partition));
    }
    this.states = states;
    const all = [...states.values()];
    if (this.group && all.length > 0) {
      const committed = await this.channel.request(
        fetchOffsetsApi,
        { groupId: this.group.groupId, partitions: all.map((s) => ({ topic: s.topic, partition: s.partition })) },
        { retries: 3, retryOn: 'retriable' },
      );
      for (const entry of committed.offsets) {
        const state = states.get(partitionKey(entry.topic, entry.partition));
        if (state && entry.offset >= 0) {
          state.position = entry.offset;
          state.consumed = entry.offset;
          state.committed = entry.offset;
        }
      }
    }
    for (const state of all) {
      const seek = this.pendingSeeks.get(state.key);
      if (seek !== undefined) {
        this.pendingSeeks.delete(state.key);
        state.position = seek;
        state.consumed = seek;
      }
    }
    await this.resetOffsets(all.filter((s) => s.position < 0));
    if (this.states !== states || this.isClosed) return;
    this.logger.info({ groupId: this.options.groupId, partitions: all.length }, 'consumer assigned');
    this.fetcher.assign(all);
  }

  /** Positions from `autoOffsetReset` for partitions without a usable offset. */
  private async resetOffsets(states: PartitionState[]): Promise<void> {
    if (states.length === 0) return;
    const timestamp = this.options.autoOffsetReset === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP;
    const answer = await this.channel.request(
      listOffsetsApi,
      { partitions: states.map((s) => ({ topic: s.topic, partition: s.partition, timestamp })) },
      { retries: 3, retryOn: 'retriable' },
    );
    for (let i = 0; i < states.length; i++) {
      const state = states[i]!;
      const result = answer.partitions[i];
      if (!result || result.error) {
        state.retryAtMs = Date.now() + this.channel.options.retryBackoffMs;
        continue;
      }
      state.position = result.offset;
      state.consumed = result.offset;
      state.epoch++;
    }
  }

  private async commitProcessed(): Promise<void> {
    if (!this.group) throw new FerryError(ErrorCode.INVALID_GROUP_ID, 'commit needs a consumer with a groupId');
    if (!this.group.hasGeneration) return;
    const states = [...this.states.values()].filter((s) => s.consumed >= 0 && s.consumed !== s.committed);
    if (states.length === 0) return;
    const offsets = states.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.consumed, leaderEpoch: -1, metadata: null }));
    await this.channel.request(commitOffsetsApi, {
      groupId: this.group.groupId,
      generationId: this.group.generationId,
      memberId: this.group.memberId,
      groupInstanceId: this.options.groupInstanceId,
      offsets,
    });
    for (let i = 0; i < states.length; i++) states[i]!.committed = offsets[i]!.offset;
  }
}

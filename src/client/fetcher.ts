import { ErrorCode, type FerryError, toFerryError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { nextOffsetAfter } from '../common/record-batch-header.ts';
import { type FetchPartitionRequest, type FetchResponse, fetchApi } from '../protocols/native/apis/fetch.ts';
import { backoffMs, sleep } from './backoff.ts';
import type { Channel } from './channel.ts';
import type { PartitionState } from './partition-state.ts';

export interface FetcherOptions {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  maxPartitionBytes: number;
  requestTimeoutMs: number;
  retryBackoffMs: number;
  maxRetryBackoffMs: number;
  logger: Logger;
  /** A partition's position is out of range: reset it (earliest/latest) and bump its epoch. */
  onOutOfRange: (state: PartitionState) => Promise<void>;
}

/** Stored batches of one partition from one fetch, with the epoch they were fetched under. */
export interface FetchedChunk {
  state: PartitionState;
  epoch: number;
  /** The offset that was asked for: records below it (start of the first batch) are skipped. */
  fromOffset: number;
  records: Buffer;
}

/**
 * Fetches for the assigned partitions, keeping at most one answer buffered ahead of the
 * application: while it works through one answer, the next fetch is in flight (long poll), and
 * no further fetch is sent until the application takes the buffered one. Memory is bounded by
 * two answers of at most `maxBytes`.
 */
export class Fetcher {
  private readonly channel: Channel;
  private readonly options: FetcherOptions;
  private partitions: PartitionState[] = [];
  private readonly buffered: FetchedChunk[][] = [];
  private isRunning = false;
  /** The fetch in flight (null when none): compared on settling, so an old fetch that settles
   *  late does not clear a newer one. */
  private fetching: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Fetches failed in a row (lost connection): the back-off grows with it. */
  private failures = 0;
  private wakeConsumer: (() => void) | null = null;
  private stopController = new AbortController();
  /** Bumped whenever the assignment changes: answers to older fetches are dropped whole. */
  private generation = 0;

  constructor(channel: Channel, options: FetcherOptions) {
    this.channel = channel;
    this.options = options;
  }

  /** Starts fetching for `partitions` (positions known), dropping anything buffered before. */
  assign(partitions: PartitionState[]): void {
    this.generation++;
    this.partitions = partitions;
    this.buffered.length = 0;
    this.isRunning = true;
    this.stopController = new AbortController();
    this.kick();
  }

  /** Stops fetching and drops what is buffered (revocation, close). */
  stop(): void {
    this.generation++;
    this.isRunning = false;
    this.buffered.length = 0;
    this.stopController.abort();
    this.wake();
  }

  /** Drops buffered records of one partition (seek, pause). */
  discard(state: PartitionState): void {
    for (const chunks of this.buffered) {
      for (let i = chunks.length - 1; i >= 0; i--) if (chunks[i]!.state === state) chunks.splice(i, 1);
    }
    this.kick();
  }

  /** The next fetched answer, waiting for one; null once stopped and empty. Taking an answer
   *  lets the next fetch go out. */
  async next(signal: AbortSignal): Promise<FetchedChunk[] | null> {
    for (;;) {
      const chunks = this.buffered.shift();
      if (chunks) {
        this.kick();
        if (chunks.length > 0) return chunks;
        continue;
      }
      if (signal.aborted) return null;
      this.kick();
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          this.wakeConsumer = null;
          resolve();
        };
        this.wakeConsumer = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** Re-evaluates whether a fetch should go out (after resume, seek, or an answer taken). */
  kick(): void {
    if (!this.isRunning || this.fetching !== null || this.buffered.length > 0) return;
    const nowMs = Date.now();
    const ready = this.partitions.filter((p) => p.isAssigned && !p.isPaused && p.position >= 0 && p.retryAtMs <= nowMs);
    if (ready.length === 0) {
      const waiting = this.partitions.filter((p) => p.isAssigned && !p.isPaused && p.position >= 0);
      if (waiting.length > 0 && !this.retryTimer) {
        const soonestMs = Math.min(...waiting.map((p) => p.retryAtMs)) - nowMs;
        this.retryTimer = setTimeout(
          () => {
            this.retryTimer = null;
            this.kick();
          },
          Math.max(1, soonestMs),
        );
        this.retryTimer.unref();
      }
      return;
    }
    // fetch() runs synchronously only up to its request, which calls nothing back here.
    const fetching = this.fetch(ready);
    this.fetching = fetching;
    fetching.finally(() => {
      if (this.fetching === fetching) this.fetching = null;
      this.kick();
    });
  }

  private wake(): void {
    this.wakeConsumer?.();
  }

  private async fetch(ready: PartitionState[]): Promise<void> {
    const generation = this.generation;
    const epochs = ready.map((p) => p.epoch);
    const requested: FetchPartitionRequest[] = ready.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      offset: p.position,
      maxBytes: this.options.maxPartitionBytes,
    }));
    let response: FetchResponse;
    try {
      response = await this.channel.request(
        fetchApi,
        {
          maxWaitMs: this.options.maxWaitMs,
          minBytes: this.options.minBytes,
          maxBytes: this.options.maxBytes,
          isolationLevel: 'read_uncommitted',
          partitions: requested,
        },
        { timeoutMs: this.options.requestTimeoutMs + this.options.maxWaitMs },
      );
    } catch (error) {
      const failure = toFerryError(error);
      if (this.isRunning && !this.channel.isClosed) {
        this.options.logger.debug({ code: failure.code, reason: failure.message, failures: this.failures }, 'fetch failed; retrying');
        await sleep(backoffMs(this.failures++, this.options.retryBackoffMs, this.options.maxRetryBackoffMs), this.stopController.signal);
      }
      return;
    }
    this.failures = 0;
    if (generation !== this.generation) return;
    const chunks: FetchedChunk[] = [];
    for (let i = 0; i < ready.length; i++) {
      const state = ready[i]!;
      const result = response.partitions[i];
      if (!result || state.epoch !== epochs[i] || !state.isAssigned) continue;
      if (result.error) {
        await this.onPartitionError(state, result.error);
        continue;
      }
      const nextOffset = nextOffsetAfter(result.records);
      if (nextOffset === null || nextOffset <= state.position) continue;
      chunks.push({ state, epoch: state.epoch, fromOffset: state.position, records: result.records });
      state.position = nextOffset;
    }
    if (generation !== this.generation) return;
    // Done with the wire: a consumer waiting for this answer sends the next fetch as it takes it,
    // before its loop body runs (the long poll is parked while the application works).
    this.fetching = null;
    this.buffered.push(chunks);
    this.wake();
  }

  private async onPartitionError(state: PartitionState, error: FerryError): Promise<void> {
    if (error.code === ErrorCode.OFFSET_OUT_OF_RANGE) {
      this.options.logger.info(
        { topic: state.topic, partition: state.partition, position: state.position },
        'offset out of range: resetting',
      );
      await this.options.onOutOfRange(state);
      return;
    }
    this.options.logger.debug({ topic: state.topic, partition: state.partition, code: error.code }, 'fetch error for partition');
    state.retryAtMs = Date.now() + this.options.retryBackoffMs;
  }
}

import { ErrorCode, FerryError, toFerryError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { ApiSpec } from '../protocols/native/codec.ts';
import { backoffMs, sleep } from './backoff.ts';
import { Connection } from './connection.ts';
import type { Endpoint } from './url.ts';

export interface ChannelOptions {
  endpoint: Endpoint;
  clientId: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxFrameBytes: number;
  retryBackoffMs: number;
  maxRetryBackoffMs: number;
  logger: Logger;
}

/** Which failures a request may be retried on. */
export type RetryOn =
  /** Only a lost connection or a timeout: safe for reads and for calls the server dedups. */
  | 'connection'
  /** Any error the broker marks retriable (NOT_LEADER, REBALANCE_IN_PROGRESS, ...). */
  | 'retriable';

export interface RequestOptions {
  /** Extra attempts after the first. Default 0. */
  retries?: number;
  retryOn?: RetryOn;
  /** Default: the channel's requestTimeoutMs. */
  timeoutMs?: number;
  /** Stops retrying (the current attempt still completes). */
  signal?: AbortSignal;
}

const CONNECTION_FAILURES: ReadonlySet<string> = new Set([ErrorCode.CONNECTION_CLOSED, ErrorCode.TIMEOUT, ErrorCode.REQUEST_TIMED_OUT]);

export function isConnectionFailure(error: FerryError): boolean {
  return CONNECTION_FAILURES.has(error.code);
}

/**
 * A connection that comes back: each request runs on the current connection, and a broken one
 * is replaced on the next request. Producer, consumer and admin each hold their own channel, so
 * a long poll or a burst of produce requests never queues behind another component's traffic.
 */
export class Channel {
  readonly options: ChannelOptions;
  private current: Connection | null = null;
  private connecting: Promise<Connection> | null = null;
  private closed: FerryError | null = null;
  private readonly closeController = new AbortController();

  constructor(options: ChannelOptions) {
    this.options = options;
  }

  get isClosed(): boolean {
    return this.closed !== null;
  }

  /** Aborted when the channel closes: ends back-off sleeps of its users. */
  get closeSignal(): AbortSignal {
    return this.closeController.signal;
  }

  /** The live connection, opening one (a single attempt) if there is none. */
  connection(): Promise<Connection> {
    if (this.closed) return Promise.reject(this.closed);
    if (this.current && !this.current.isClosed) return Promise.resolve(this.current);
    this.connecting ??= Connection.open(this.options).then(
      (connection) => {
        this.connecting = null;
        if (this.closed) {
          connection.close(this.closed);
          throw this.closed;
        }
        this.current = connection;
        connection.onClose(() => {
          if (this.current === connection) this.current = null;
        });
        return connection;
      },
      (error: unknown) => {
        this.connecting = null;
        throw toFerryError(error, ErrorCode.CONNECTION_CLOSED);
      },
    );
    return this.connecting;
  }

  /** The current connection if one is open, without connecting. */
  get openConnection(): Connection | null {
    return this.current && !this.current.isClosed ? this.current : null;
  }

  async request<Req, Res>(spec: ApiSpec<Req, Res>, request: Req, options: RequestOptions = {}): Promise<Res> {
    const retries = options.retries ?? 0;
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const connection = await this.connection();
        return await connection.request(spec, request, timeoutMs);
      } catch (error) {
        const failure = toFerryError(error);
        const mayRetry = options.retryOn === 'retriable' ? failure.isRetriable : isConnectionFailure(failure);
        if (!mayRetry || attempt >= retries || this.closed || options.signal?.aborted) throw failure;
        this.options.logger.debug({ api: spec.name, code: failure.code, attempt }, 'retrying ferry request');
        await sleep(backoffMs(attempt, this.options.retryBackoffMs, this.options.maxRetryBackoffMs), this.closeSignal);
      }
    }
  }

  /** Closes the channel for good; pending requests fail with CONNECTION_CLOSED. */
  close(): void {
    if (this.closed) return;
    this.closed = new FerryError(ErrorCode.CONNECTION_CLOSED, 'client closed');
    this.closeController.abort();
    this.current?.close(this.closed);
    this.current = null;
  }

  /** Test and crash simulation: drops the socket without closing the channel. */
  dropConnection(): void {
    this.current?.close(new FerryError(ErrorCode.CONNECTION_CLOSED, 'connection dropped'));
  }
}

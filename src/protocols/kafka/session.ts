import type { Socket } from 'node:net';
import { ErrorCode, FerryError, toFerryError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { apiVersionsApi } from './apis/api-versions.ts';
import { KAFKA_APIS } from './apis/index.ts';
import { KafkaErrorCode } from './error-codes.ts';
import { FrameSplitter } from './framing.ts';
import { apiVersions } from './handlers/api-versions.ts';
import { type ListenerContext, NO_RESPONSE, type RequestContext } from './handlers/context.ts';
import { ROUTES } from './handlers/index.ts';
import { readRequestHeader, readRequestPrefix, type RequestPrefix } from './header.ts';
import { ApiKey, type ApiSchema } from './protocol/api.ts';
import { decodeMessage, inRange } from './protocol/schema.ts';
import { type EncodedResponse, encodeResponse } from './response.ts';

type SessionState = 'open' | 'draining' | 'closed';

/** One request in arrival order: answered (or not) once its handler settles. */
interface Slot {
  /** Request bytes while being served, then the response's bytes until written. */
  heldBytes: number;
  isDone: boolean;
  response: EncodedResponse | null;
}

export interface KafkaSessionOptions {
  socket: Socket;
  listener: ListenerContext;
  onClose: (session: KafkaSession) => void;
}

/**
 * One Kafka connection. Requests are read in order and dispatched at once (pipelined requests
 * run concurrently, and the broker sees them in the order sent); responses are written strictly
 * in request order, as Kafka clients require, each waiting for the ones before it.
 *
 * Flow control: request bytes being served plus response bytes not yet taken by the socket are
 * bounded by `maxInFlightBytesPerConnection`, and requests by `maxInFlightRequestsPerConnection`;
 * above either the socket is paused (TCP pushes back on the client) until responses drain. A
 * client that does not read its responses therefore stops being read.
 *
 * Protocol errors (bad framing, unknown API key, unsupported version, malformed body) close the
 * connection after what was already answered is written, as Kafka brokers do; ApiVersions of an
 * unknown version is answered with v0 and UNSUPPORTED_VERSION (KIP-511).
 */
export class KafkaSession {
  private readonly socket: Socket;
  private readonly listener: ListenerContext;
  private readonly logger: Logger;
  private readonly onClose: (session: KafkaSession) => void;
  private readonly splitter: FrameSplitter;
  private readonly abort = new AbortController();
  private readonly slots: Slot[] = [];
  private heldBytes = 0;
  private state: SessionState = 'open';
  private isReadPaused = false;
  private destroyTimer: NodeJS.Timeout | null = null;
  private readonly clientHost: string;

  constructor(options: KafkaSessionOptions) {
    this.socket = options.socket;
    this.listener = options.listener;
    this.onClose = options.onClose;
    this.clientHost = this.socket.remoteAddress ?? '';
    this.logger = options.listener.logger.child({ remote: `${this.clientHost}:${this.socket.remotePort ?? '?'}` });
    this.splitter = new FrameSplitter(options.listener.limits.maxRequestBytes);

    this.socket.setNoDelay(true);
    this.socket.setKeepAlive(true, 60_000);
    this.socket.setTimeout(options.listener.limits.idleTimeoutMs);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('drain', () => this.maybeResume());
    this.socket.on('end', () => this.onPeerEnd());
    this.socket.on('timeout', () => this.onIdle());
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      if (this.state === 'open') this.logger.debug({ err: error.message, errno: error.code }, 'kafka connection error');
    });
    this.socket.on('close', () => this.onSocketClose());
  }

  /** Server shutdown: abort long polls, write what is answered, then close. */
  shutdown(): void {
    this.drainAndClose(null, 'debug', 'server is shutting down');
  }

  private onData(chunk: Buffer): void {
    if (this.state !== 'open') return;
    this.splitter.push(chunk);
    this.processFrames();
  }

  private processFrames(): void {
    while (this.state === 'open') {
      if (this.isOverLimit()) {
        this.pauseReading();
        return;
      }
      let frame: Buffer | null;
      try {
        frame = this.splitter.next();
      } catch (error) {
        this.drainAndClose(toFerryError(error, ErrorCode.INVALID_REQUEST), 'warn');
        return;
      }
      if (!frame) return;
      this.handleFrame(frame);
    }
  }

  private handleFrame(frame: Buffer): void {
    const prefix = readRequestPrefix(frame);
    const api = KAFKA_APIS.get(prefix.apiKey);
    if (!api) {
      this.reject(prefix, `unknown api key ${prefix.apiKey}`);
      return;
    }
    if (prefix.apiVersion < api.minVersion || prefix.apiVersion > api.maxVersion) {
      if (api.key === ApiKey.ApiVersions) {
        this.answerNow(
          frame.length,
          encodeResponse(apiVersionsApi, 0, prefix.correlationId, apiVersions(KafkaErrorCode.UNSUPPORTED_VERSION)),
        );
        return;
      }
      this.reject(prefix, `${api.name} v${prefix.apiVersion} is not supported (v${api.minVersion}-v${api.maxVersion})`);
      return;
    }
    let clientId: string | null;
    let request: unknown;
    try {
      const header = readRequestHeader(frame, prefix, inRange(api.request.flexibleVersions, prefix.apiVersion));
      clientId = header.clientId;
      request = decodeMessage(api.request, prefix.apiVersion, header.body);
    } catch (error) {
      this.reject(prefix, `malformed ${api.name} v${prefix.apiVersion} request: ${toFerryError(error).message}`);
      return;
    }
    if (api.key === ApiKey.ApiVersions) {
      this.answerNow(frame.length, encodeResponse(apiVersionsApi, prefix.apiVersion, prefix.correlationId, apiVersions()));
      return;
    }
    this.dispatch(api, prefix, clientId ?? '', request, frame.length);
  }

  private dispatch(api: ApiSchema<unknown, unknown>, prefix: RequestPrefix, clientId: string, request: unknown, frameBytes: number): void {
    const route = ROUTES.get(api.key);
    if (!route) {
      this.reject(prefix, `${api.name} has no handler`);
      return;
    }
    const slot = this.openSlot(frameBytes);
    const ctx: RequestContext = {
      ...this.listener,
      apiVersion: prefix.apiVersion,
      clientId,
      clientHost: this.clientHost,
      signal: this.abort.signal,
      closeConnection: (reason) => this.drainAndClose(null, 'debug', reason),
    };
    const startedMs = performance.now();
    route.handle(ctx, request).then(
      (response) => {
        this.listener.broker.metrics?.protocol('kafka').requestDone(api.name, topLevelErrorCode(response), startedMs);
        if (response === NO_RESPONSE) {
          this.complete(slot, null);
          return;
        }
        let encoded: EncodedResponse;
        try {
          encoded = encodeResponse(api, prefix.apiVersion, prefix.correlationId, response);
        } catch (error) {
          this.logger.error(
            { api: api.name, version: prefix.apiVersion, err: toFerryError(error).message },
            'kafka response could not be encoded',
          );
          this.complete(slot, null);
          this.drainAndClose(null, 'debug', 'response encoding failed');
          return;
        }
        this.complete(slot, encoded);
      },
      (error: unknown) => {
        this.listener.broker.metrics?.protocol('kafka').requestDone(api.name, toFerryError(error).code, startedMs);
        // Handlers turn the broker's errors into Kafka error codes; reaching here is a bug.
        this.logger.error(
          { api: api.name, version: prefix.apiVersion, err: toFerryError(error).message },
          'kafka request failed unexpectedly',
        );
        this.complete(slot, null);
        this.drainAndClose(null, 'debug', 'request failed unexpectedly');
      },
    );
  }

  private openSlot(frameBytes: number): Slot {
    const slot: Slot = { heldBytes: frameBytes, isDone: false, response: null };
    this.slots.push(slot);
    this.heldBytes += frameBytes;
    return slot;
  }

  private answerNow(frameBytes: number, response: EncodedResponse): void {
    this.complete(this.openSlot(frameBytes), response);
  }

  /** Marks a slot answered and writes every answered slot at the head, in order. */
  private complete(slot: Slot, response: EncodedResponse | null): void {
    slot.isDone = true;
    slot.response = response;
    const responseBytes = response?.sizeBytes ?? 0;
    this.heldBytes += responseBytes - slot.heldBytes;
    slot.heldBytes = responseBytes;
    while (this.slots.length > 0 && this.slots[0]!.isDone) {
      const head = this.slots.shift()!;
      this.heldBytes -= head.heldBytes;
      if (head.response) this.write(head.response);
    }
    this.afterProgress();
  }

  private write(response: EncodedResponse): void {
    if (this.state === 'closed' || this.socket.destroyed || !this.socket.writable) return;
    this.socket.cork();
    for (const part of response.parts) this.socket.write(part);
    this.socket.uncork();
  }

  private afterProgress(): void {
    if (this.state === 'draining') {
      if (this.slots.length === 0) this.endSocket();
      return;
    }
    this.maybeResume();
  }

  private isOverLimit(): boolean {
    const { limits } = this.listener;
    if (this.slots.length >= limits.maxInFlightRequestsPerConnection) return true;
    // One request is always served, however big, so a single large request cannot dead-lock.
    if (this.slots.length === 0 && this.socket.writableLength === 0) return false;
    return this.heldBytes + this.socket.writableLength > limits.maxInFlightBytesPerConnection;
  }

  private pauseReading(): void {
    if (this.isReadPaused) return;
    this.isReadPaused = true;
    this.socket.pause();
  }

  private maybeResume(): void {
    if (this.state !== 'open' || this.isOverLimit()) return;
    if (this.isReadPaused) {
      this.isReadPaused = false;
      this.socket.resume();
    }
    // Frames already buffered were held back by the limit: serve them now.
    this.processFrames();
  }

  /** A request the connection cannot go on after (Kafka closes on these too). */
  private reject(prefix: RequestPrefix, reason: string): void {
    this.drainAndClose(
      new FerryError(ErrorCode.INVALID_REQUEST, reason, {
        apiKey: prefix.apiKey,
        apiVersion: prefix.apiVersion,
        correlationId: prefix.correlationId,
      }),
      'warn',
    );
  }

  /**
   * Stops reading, lets requests already read finish (long polls are aborted so they answer at
   * once) and be written in order, then ends the connection. The socket is destroyed after
   * `closeGraceMs` if the peer does not close its side.
   */
  private drainAndClose(error: FerryError | null, level: 'debug' | 'info' | 'warn', reason = error?.message ?? ''): void {
    if (this.state !== 'open') return;
    this.state = 'draining';
    this.logger[level]({ code: error?.code, reason, ...error?.details }, 'kafka connection closing');
    this.abort.abort(error ?? new FerryError(ErrorCode.CONNECTION_CLOSED, reason));
    this.socket.pause();
    if (this.slots.length === 0) this.endSocket();
  }

  private endSocket(): void {
    if (this.destroyTimer) return;
    this.socket.end();
    // A peer that never reads would otherwise keep the socket (and its buffer) forever.
    this.destroyTimer = setTimeout(() => this.socket.destroy(), this.listener.limits.closeGraceMs);
    this.destroyTimer.unref();
  }

  private onPeerEnd(): void {
    // Half-close: the client sent all it will; answer what is in flight, then end.
    if (this.state !== 'open') return;
    if (this.splitter.bufferedBytes > 0)
      this.logger.info({ bufferedBytes: this.splitter.bufferedBytes }, 'kafka connection ended inside a request');
    this.drainAndClose(null, 'debug', 'client ended the connection');
  }

  private onIdle(): void {
    // Requests in flight (a long poll, a rebalance) are not idleness.
    if (this.state !== 'open' || this.slots.length > 0) return;
    this.drainAndClose(null, 'info', `no traffic for ${this.listener.limits.idleTimeoutMs} ms`);
  }

  private onSocketClose(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (!this.abort.signal.aborted) this.abort.abort(new FerryError(ErrorCode.CONNECTION_CLOSED, 'connection closed'));
    if (this.destroyTimer) clearTimeout(this.destroyTimer);
    this.destroyTimer = null;
    this.onClose(this);
  }
}

/** A response's top-level Kafka error code (`none` for 0 or none at all); per-partition codes
 *  are not walked, so counting stays O(1) per request. */
function topLevelErrorCode(response: unknown): string {
  const code = typeof response === 'object' && response !== null ? (response as { errorCode?: unknown }).errorCode : undefined;
  return typeof code === 'number' && code !== 0 ? String(code) : 'none';
}

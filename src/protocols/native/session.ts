import type { Socket } from 'node:net';
import type { BrokerWithQueues } from '../../broker/types.ts';
import { ErrorCode, FerryError, toFerryError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { type ApiSpec, decodeRequest, encodeErrorFrame, encodeErrorResponse, encodeResponse, type EncodedFrame } from './codec.ts';
import { ApiKey, FrameFlag, FrameType, apiName } from './constants.ts';
import { type Frame, FrameDecoder } from './frames.ts';
import { helloApi, type HelloRequest } from './apis/hello.ts';
import { ROUTES, type SessionContext } from './handlers.ts';
import { negotiateHello } from './handlers/hello.ts';
import type { NativeLimits } from './limits.ts';
import { SessionQueues } from './session-queues.ts';

type SessionState = 'handshake' | 'ready' | 'closing' | 'closed';

export interface SessionOptions {
  socket: Socket;
  broker: BrokerWithQueues;
  logger: Logger;
  limits: NativeLimits;
  onClose: (session: NativeSession) => void;
}

/**
 * One native-protocol connection: frames in, broker calls, frames out. Owns the connection's
 * state (handshake, pipelined requests, flow control, timers) and no broker logic: each request
 * goes to one small handler in handlers.ts.
 *
 * Flow control: bytes of requests being served plus response bytes still queued in the socket
 * are bounded by `maxInFlightBytesPerConnection`; above it the socket is paused (TCP pushes back
 * on the client) until responses drain. Requests are dispatched synchronously in arrival order,
 * so the broker sees one connection's produce calls in the order the client sent them.
 */
export class NativeSession {
  readonly remoteAddress: string;
  private readonly socket: Socket;
  private readonly logger: Logger;
  private readonly limits: NativeLimits;
  private readonly decoder: FrameDecoder;
  private readonly abort = new AbortController();
  private readonly context: SessionContext;
  private readonly queues: SessionQueues;
  private readonly onClose: (session: NativeSession) => void;
  private state: SessionState = 'handshake';
  private inFlightRequests = 0;
  /** Request bytes plus reserved answer bytes of the requests being served. */
  private inFlightBytes = 0;
  private isReadPaused = false;
  /** Frames of this turn are being gathered (see write). */
  private isCorked = false;
  private isPeerEnded = false;
  private handshakeTimer: NodeJS.Timeout | null;
  private destroyTimer: NodeJS.Timeout | null = null;
  /** Api keys already logged as unknown/unsupported on this connection: one line each, not a flood. */
  private readonly loggedRejections = new Set<string>();

  constructor(options: SessionOptions) {
    this.socket = options.socket;
    this.limits = options.limits;
    this.onClose = options.onClose;
    this.remoteAddress = `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
    this.logger = options.logger.child({ remote: this.remoteAddress });
    this.decoder = new FrameDecoder(this.limits.maxFrameBytes);
    this.queues = new SessionQueues({
      broker: options.broker,
      limits: this.limits,
      logger: this.logger,
      write: (frame) => this.write(frame),
      writableBytes: () => this.socket.writableLength,
    });
    this.context = {
      broker: options.broker,
      limits: this.limits,
      logger: this.logger,
      signal: this.abort.signal,
      clientId: '',
      protocolVersion: 0,
      queues: this.queues,
      remoteAddress: this.remoteAddress,
      remoteHost: this.socket.remoteAddress ?? '',
      localHost: this.socket.localAddress ?? '127.0.0.1',
      localPort: this.socket.localPort ?? 0,
    };

    this.socket.setNoDelay(true);
    this.socket.setKeepAlive(true, 60_000);
    this.socket.setTimeout(this.limits.idleTimeoutMs);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('drain', () => {
      this.queues.onDrain();
      this.maybeResume();
    });
    this.socket.on('end', () => this.onPeerEnd());
    this.socket.on('timeout', () => this.onIdle());
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      if (this.state !== 'closing') this.logger.debug({ err: error.message, errno: error.code }, 'native connection error');
    });
    this.socket.on('close', () => this.onSocketClose());
    this.handshakeTimer = setTimeout(() => {
      this.fail(new FerryError(ErrorCode.TIMEOUT, `no Hello within ${this.limits.handshakeTimeoutMs} ms`), 0, 'info');
    }, this.limits.handshakeTimeoutMs);
    this.handshakeTimer.unref();
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Server shutdown: abort long polls, say why, close once responses are out. */
  shutdown(): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.fail(new FerryError(ErrorCode.CONNECTION_CLOSED, 'server is shutting down'), 0, 'debug');
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.decoder.push(chunk);
    this.processFrames();
  }

  private processFrames(): void {
    while (this.state === 'handshake' || this.state === 'ready') {
      if (this.isOverLimit()) {
        this.pauseReading();
        return;
      }
      let frame: Frame | null;
      try {
        frame = this.decoder.next();
      } catch (error) {
        this.fail(toFerryError(error, ErrorCode.INVALID_REQUEST), 0, 'warn');
        return;
      }
      if (!frame) return;
      this.handleFrame(frame);
    }
  }

  private handleFrame(frame: Frame): void {
    if (frame.type !== FrameType.request) {
      this.fail(
        new FerryError(ErrorCode.INVALID_REQUEST, `clients send request frames only, got frame type ${frame.type}`),
        frame.correlationId,
        'warn',
      );
      return;
    }
    if (this.state === 'handshake' && frame.apiKey !== ApiKey.hello) {
      this.fail(
        new FerryError(ErrorCode.INVALID_REQUEST, `the first request must be Hello, got ${apiName(frame.apiKey)}`),
        frame.correlationId,
        'warn',
      );
      return;
    }
    const route = ROUTES.get(frame.apiKey);
    const spec = frame.apiKey === ApiKey.hello ? (helloApi as ApiSpec<unknown, unknown>) : route?.spec;
    if (!spec) {
      this.reject(frame, new FerryError(ErrorCode.INVALID_REQUEST, `unknown api key ${frame.apiKey}`, { apiKey: frame.apiKey }));
      return;
    }
    if (frame.apiVersion < spec.minVersion || frame.apiVersion > spec.maxVersion) {
      this.reject(
        frame,
        new FerryError(
          ErrorCode.UNSUPPORTED_VERSION,
          `${spec.name} v${frame.apiVersion} is not supported (v${spec.minVersion}-v${spec.maxVersion})`,
          { apiKey: frame.apiKey, apiVersion: frame.apiVersion },
        ),
      );
      return;
    }
    let request: unknown;
    try {
      request = decodeRequest(spec, frame.apiVersion, frame.body);
    } catch (error) {
      const ferryError = toFerryError(error, ErrorCode.INVALID_REQUEST);
      this.reject(frame, ferryError);
      if (this.state === 'handshake') this.fail(ferryError, frame.correlationId, 'info', false);
      return;
    }
    if (!route) {
      this.handleHello(frame, request as HelloRequest);
      return;
    }
    const hasResponse = (frame.flags & FrameFlag.noResponse) === 0;
    const reservedBytes = frame.sizeBytes + (hasResponse ? Math.min(route.responseBytes(request), this.limits.maxFrameBytes) : 0);
    this.inFlightRequests++;
    this.inFlightBytes += reservedBytes;
    const startedMs = performance.now();
    let handled: Promise<unknown>;
    try {
      handled = route.handle(this.context, request);
    } catch (error) {
      // A broker call that throws synchronously is answered like one that rejects.
      handled = Promise.reject(error);
    }
    handled.then(
      (response) => {
        this.context.broker.metrics?.protocol('native').requestDone(spec.name, 'none', startedMs);
        this.finishRequest(reservedBytes);
        if (hasResponse) this.respond(frame, spec, response);
        this.afterRequest();
      },
      (error: unknown) => {
        const ferryError = toFerryError(error);
        this.context.broker.metrics?.protocol('native').requestDone(spec.name, ferryError.code, startedMs);
        if (!(error instanceof FerryError)) {
          this.logger.error({ api: spec.name, err: ferryError.message }, 'native request failed unexpectedly');
        }
        this.finishRequest(reservedBytes);
        if (hasResponse) this.write(encodeErrorResponse(frame.apiKey, frame.apiVersion, frame.correlationId, ferryError));
        this.afterRequest();
      },
    );
  }

  /** Encodes and sends an answer; one that cannot be encoded (a field over its wire limit) is
   *  answered with the error instead of escaping as an exception. */
  private respond(frame: Frame, spec: ApiSpec<unknown, unknown>, response: unknown): void {
    let encoded: EncodedFrame;
    try {
      encoded = encodeResponse(spec, frame.apiVersion, frame.correlationId, response);
    } catch (error) {
      const ferryError = toFerryError(error);
      this.logger.error({ api: spec.name, err: ferryError.message }, 'native answer could not be encoded');
      encoded = encodeErrorResponse(frame.apiKey, frame.apiVersion, frame.correlationId, ferryError);
    }
    this.write(encoded);
  }

  /** Hello is answered inline (no broker call) so requests pipelined right behind it are served. */
  private handleHello(frame: Frame, request: HelloRequest): void {
    if (this.state !== 'handshake') {
      this.reject(frame, new FerryError(ErrorCode.INVALID_REQUEST, 'Hello was already exchanged on this connection'));
      return;
    }
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    try {
      const response = negotiateHello(request, this.context);
      this.context.clientId = request.clientId;
      this.context.protocolVersion = response.protocolVersion;
      this.state = 'ready';
      this.write(encodeResponse(helloApi, frame.apiVersion, frame.correlationId, response));
    } catch (error) {
      const ferryError = toFerryError(error, ErrorCode.UNSUPPORTED_VERSION);
      this.write(encodeErrorResponse(frame.apiKey, frame.apiVersion, frame.correlationId, ferryError));
      this.fail(ferryError, frame.correlationId, 'info', false);
    }
  }

  /** Answers one request with an error and keeps the connection: its framing was intact. */
  private reject(frame: Frame, error: FerryError): void {
    const key = `${error.code}:${frame.apiKey}:${frame.apiVersion}`;
    if (!this.loggedRejections.has(key) && this.loggedRejections.size < 64) {
      this.loggedRejections.add(key);
      this.logger.warn(
        { code: error.code, apiKey: frame.apiKey, apiVersion: frame.apiVersion, reason: error.message },
        'native request rejected',
      );
    }
    this.write(encodeErrorResponse(frame.apiKey, frame.apiVersion, frame.correlationId, error));
  }

  /** Releases a request's reservation; its answer (if any) is then counted by the socket. */
  private finishRequest(reservedBytes: number): void {
    this.inFlightRequests--;
    this.inFlightBytes -= reservedBytes;
  }

  private afterRequest(): void {
    if (this.isPeerEnded && this.inFlightRequests === 0 && (this.state === 'ready' || this.state === 'handshake')) {
      this.state = 'closing';
      this.socket.end();
      return;
    }
    this.maybeResume();
  }

  /**
   * Queues a frame. Frames written in one turn of the event loop leave in one writev: the socket
   * is corked at the first and uncorked on the next tick, which runs once the promise jobs of
   * this turn are done (an fdatasync that acknowledges several produce requests, or an append that
   * wakes several parked fetches, answers them all with one syscall instead of one each).
   */
  private write(frame: EncodedFrame): void {
    if (this.state === 'closed' || this.socket.destroyed || !this.socket.writable) return;
    if (!this.isCorked) {
      this.isCorked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    for (const part of frame) this.socket.write(part);
  }

  private readonly uncork = (): void => {
    this.isCorked = false;
    this.socket.uncork();
  };

  private isOverLimit(): boolean {
    if (this.inFlightRequests >= this.limits.maxInFlightRequestsPerConnection) return true;
    // One request is always served, however big, so a single large frame cannot dead-lock.
    if (this.inFlightRequests === 0 && this.socket.writableLength === 0) return false;
    return this.inFlightBytes + this.socket.writableLength > this.limits.maxInFlightBytesPerConnection;
  }

  private pauseReading(): void {
    if (this.isReadPaused) return;
    this.isReadPaused = true;
    this.socket.pause();
  }

  private maybeResume(): void {
    if (this.state !== 'ready' && this.state !== 'handshake') return;
    if (this.isOverLimit()) return;
    if (this.isReadPaused) {
      this.isReadPaused = false;
      this.socket.resume();
    }
    // Frames already buffered were held back by the limit: serve them now.
    this.processFrames();
  }

  private onPeerEnd(): void {
    // Half-close: the client sent everything it will send; answer what is in flight, then end.
    this.isPeerEnded = true;
    if (this.state === 'closing' || this.state === 'closed') return;
    // A peer gone for good looks the same as a half-close until we write: end long polls now
    // (they answer with what they have) rather than holding the broker for maxWaitMs.
    this.abort.abort(new FerryError(ErrorCode.CONNECTION_CLOSED, 'client ended the connection'));
    if (this.decoder.bufferedBytes > 0) {
      this.logger.info({ bufferedBytes: this.decoder.bufferedBytes }, 'native connection ended inside a frame');
    }
    if (this.inFlightRequests === 0) {
      this.state = 'closing';
      this.socket.end();
    }
  }

  private onIdle(): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.fail(new FerryError(ErrorCode.TIMEOUT, `no traffic for ${this.limits.idleTimeoutMs} ms`), 0, 'info');
  }

  /**
   * Ends the connection because of a fault: one log line, an error frame the peer may read, then
   * close; the socket is destroyed after `closeGraceMs` if the peer does not close its side.
   */
  private fail(error: FerryError, correlationId: number, level: 'debug' | 'info' | 'warn', sendErrorFrame = true): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    this.logger[level]({ code: error.code, reason: error.message, ...error.details }, 'native connection closed');
    this.abort.abort(error);
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    if (sendErrorFrame && this.socket.writable) this.socket.write(encodeErrorFrame(correlationId, error));
    this.socket.end();
    // A peer that never reads would keep the socket (and its buffer) forever otherwise.
    this.destroyTimer = setTimeout(() => this.socket.destroy(), this.limits.closeGraceMs);
    this.destroyTimer.unref();
  }

  private onSocketClose(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (!this.abort.signal.aborted) this.abort.abort(new FerryError(ErrorCode.CONNECTION_CLOSED, 'connection closed'));
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (this.destroyTimer) clearTimeout(this.destroyTimer);
    this.handshakeTimer = null;
    this.destroyTimer = null;
    // Its queue consumers leave now: their in-flight records go to other consumers at once.
    this.queues.closeAll().catch((error: unknown) => {
      this.logger.warn({ err: String(error) }, 'closing queue consumers of a closed connection failed');
    });
    this.onClose(this);
  }
}

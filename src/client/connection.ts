import { connect as netConnect, type Socket } from 'node:net';
import { ErrorCode, FerryError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { type HelloResponse, helloApi } from '../protocols/native/apis/hello.ts';
import { type ApiSpec, decodeErrorFrame, decodeResponse, type EncodedFrame, encodeRequest } from '../protocols/native/codec.ts';
import { FrameFlag, FrameType, MAX_PROTOCOL_VERSION, MIN_PROTOCOL_VERSION } from '../protocols/native/constants.ts';
import { type Frame, FrameDecoder } from '../protocols/native/frames.ts';
import type { Endpoint } from './url.ts';

export const CLIENT_SOFTWARE = 'ferrymq-client/0.1.0';
const HELLO_CORRELATION_ID = 1;

export interface ConnectionOptions {
  endpoint: Endpoint;
  clientId: string;
  connectTimeoutMs: number;
  /** Largest response frame accepted; a larger one closes the connection. */
  maxFrameBytes: number;
  logger: Logger;
}

interface PendingRequest {
  spec: ApiSpec<unknown, unknown>;
  version: number;
  resolve: (value: unknown) => void;
  reject: (error: FerryError) => void;
  timer: NodeJS.Timeout;
}

/**
 * One TCP connection to a Ferry server: handshake, then any number of pipelined requests matched
 * to their responses by correlation id (answers may come back in any order). A closed connection
 * stays closed and fails everything pending with CONNECTION_CLOSED; `Channel` reconnects.
 */
export class Connection {
  readonly hello: HelloResponse;
  private readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly versions: Map<number, { min: number; max: number }>;
  private readonly closeListeners: ((error: FerryError) => void)[] = [];
  /** Receives push frames (queue deliveries); none set: pushes are dropped. */
  private pushListener: ((frame: Frame) => void) | null = null;
  private readonly logger: Logger;
  /** 1 went to Hello. */
  private nextCorrelationId = 2;
  private closedWith: FerryError | null = null;

  private constructor(socket: Socket, decoder: FrameDecoder, hello: HelloResponse, logger: Logger) {
    this.socket = socket;
    this.decoder = decoder;
    this.hello = hello;
    this.logger = logger;
    this.versions = new Map(hello.apis.map((api) => [api.apiKey, { min: api.minVersion, max: api.maxVersion }]));
  }

  /** Connects and exchanges Hello; rejects with the server's error or CONNECTION_CLOSED/TIMEOUT. */
  static async open(options: ConnectionOptions): Promise<Connection> {
    const { host, port } = options.endpoint;
    const socket = netConnect({ host, port, noDelay: true });
    const decoder = new FrameDecoder(options.maxFrameBytes);
    try {
      const hello = await handshake(socket, decoder, options);
      const connection = new Connection(socket, decoder, hello, options.logger);
      connection.attach();
      return connection;
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }

  get isClosed(): boolean {
    return this.closedWith !== null;
  }

  get inFlightRequests(): number {
    return this.pending.size;
  }

  /** Bytes written but not yet taken by the kernel: callers pace themselves on it. */
  get writableBytes(): number {
    return this.socket.writableLength;
  }

  onClose(listener: (error: FerryError) => void): void {
    if (this.closedWith) listener(this.closedWith);
    else this.closeListeners.push(listener);
  }

  /** Push frames (type 3) go to `listener`, synchronously as they are read, in order. */
  onPush(listener: (frame: Frame) => void): void {
    this.pushListener = listener;
  }

  /** The highest version of `spec` both sides speak. */
  versionOf(spec: ApiSpec<unknown, unknown>): number {
    const server = this.versions.get(spec.key);
    const version = Math.min(spec.maxVersion, server?.max ?? -1);
    if (!server || version < spec.minVersion || version < server.min) {
      throw new FerryError(ErrorCode.UNSUPPORTED_VERSION, `the server does not speak ${spec.name} v${spec.minVersion}-v${spec.maxVersion}`);
    }
    return version;
  }

  request<Req, Res>(spec: ApiSpec<Req, Res>, request: Req, timeoutMs: number): Promise<Res> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const version = this.versionOf(spec as ApiSpec<unknown, unknown>);
    const correlationId = this.allocateCorrelationId();
    const frame = encodeRequest(spec, version, correlationId, request);
    return new Promise<Res>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(correlationId)) {
          reject(new FerryError(ErrorCode.REQUEST_TIMED_OUT, `${spec.name} got no answer within ${timeoutMs} ms`, { timeoutMs }));
        }
      }, timeoutMs);
      this.pending.set(correlationId, {
        spec: spec as ApiSpec<unknown, unknown>,
        version,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
      });
      this.write(frame);
    });
  }

  /** A request the server does not answer (produce with acks 0): resolves once written. */
  send<Req>(spec: ApiSpec<Req, unknown>, request: Req): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const version = this.versionOf(spec as ApiSpec<unknown, unknown>);
    const frame = encodeRequest(spec, version, this.allocateCorrelationId(), request, FrameFlag.noResponse);
    return new Promise<void>((resolve, reject) => {
      this.write(frame, (error) => (error ? reject(this.closedWith ?? closedError(error.message)) : resolve()));
    });
  }

  /** Closes the socket; everything pending fails with CONNECTION_CLOSED (or `reason`). */
  close(reason?: FerryError): void {
    this.fail(reason ?? new FerryError(ErrorCode.CONNECTION_CLOSED, 'connection closed by the client'));
  }

  private allocateCorrelationId(): number {
    const id = this.nextCorrelationId;
    // 0 is reserved for server pushes; wrap within uint32.
    this.nextCorrelationId = id >= 0xffff_fffe ? 1 : id + 1;
    return id;
  }

  private write(frame: EncodedFrame, callback?: (error?: Error | null) => void): void {
    if (frame.length === 1) {
      this.socket.write(frame[0]!, callback);
      return;
    }
    this.socket.cork();
    for (let i = 0; i < frame.length - 1; i++) this.socket.write(frame[i]!);
    this.socket.write(frame[frame.length - 1]!, callback);
    this.socket.uncork();
  }

  private attach(): void {
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (error) => this.fail(closedError(error.message)));
    this.socket.on('close', () => this.fail(closedError('connection closed by the server')));
    this.socket.on('end', () => this.fail(closedError('connection ended by the server')));
    // Frames that arrived with the Hello answer.
    this.drainFrames();
  }

  private onData(chunk: Buffer): void {
    this.decoder.push(chunk);
    this.drainFrames();
  }

  private drainFrames(): void {
    for (;;) {
      let frame: Frame | null;
      try {
        frame = this.decoder.next();
      } catch (error) {
        this.fail(error as FerryError);
        return;
      }
      if (!frame) return;
      this.onFrame(frame);
      if (this.closedWith) return;
    }
  }

  private onFrame(frame: Frame): void {
    if (frame.type === FrameType.response) {
      const pending = this.pending.get(frame.correlationId);
      if (!pending) return; // timed out already
      this.pending.delete(frame.correlationId);
      clearTimeout(pending.timer);
      try {
        pending.resolve(decodeResponse(pending.spec, pending.version, frame.body));
      } catch (error) {
        pending.reject(error as FerryError);
      }
      return;
    }
    if (frame.type === FrameType.error) {
      const error = decodeErrorFrame(frame);
      this.logger.warn({ code: error.code, reason: error.message }, 'ferry server closed the connection');
      this.fail(error);
      return;
    }
    if (frame.type === FrameType.push) this.pushListener?.(frame);
  }

  private fail(error: FerryError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.socket.destroy();
    // Requests sent on a broken connection may or may not have been served: CONNECTION_CLOSED
    // (retriable) for all, carrying the server's reason when it sent one.
    const failure =
      error.code === ErrorCode.CONNECTION_CLOSED
        ? error
        : new FerryError(ErrorCode.CONNECTION_CLOSED, error.message, { serverCode: error.code }, { cause: error });
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(failure);
    }
    this.pending.clear();
    for (const listener of this.closeListeners.splice(0)) listener(error);
  }
}

function closedError(message: string): FerryError {
  return new FerryError(ErrorCode.CONNECTION_CLOSED, message);
}

/** Connects, sends Hello, waits for its answer (or an error frame, close, or the timeout). */
function handshake(socket: Socket, decoder: FrameDecoder, options: ConnectionOptions): Promise<HelloResponse> {
  const { host, port } = options.endpoint;
  return new Promise<HelloResponse>((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new FerryError(ErrorCode.TIMEOUT, `no answer from ${host}:${port} within ${options.connectTimeoutMs} ms`)),
      options.connectTimeoutMs,
    );
    function finish(result: FerryError | HelloResponse): void {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (result instanceof FerryError) reject(result);
      else resolve(result);
    }
    function onError(error: NodeJS.ErrnoException): void {
      finish(new FerryError(ErrorCode.CONNECTION_CLOSED, `cannot reach ferry://${host}:${port}: ${error.message}`, { errno: error.code }));
    }
    function onClose(): void {
      finish(new FerryError(ErrorCode.CONNECTION_CLOSED, `ferry://${host}:${port} closed the connection during the handshake`));
    }
    function onData(chunk: Buffer): void {
      decoder.push(chunk);
      let frame: Frame | null;
      try {
        frame = decoder.next();
      } catch (error) {
        finish(error as FerryError);
        return;
      }
      if (!frame) return;
      if (frame.type === FrameType.error) finish(decodeErrorFrame(frame));
      else if (frame.type !== FrameType.response || frame.correlationId !== HELLO_CORRELATION_ID)
        finish(new FerryError(ErrorCode.INVALID_REQUEST, 'unexpected frame during the handshake'));
      else {
        try {
          finish(decodeResponse(helloApi, frame.apiVersion, frame.body));
        } catch (error) {
          finish(error as FerryError);
        }
      }
    }
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.once('connect', () => {
      const request = {
        minProtocolVersion: MIN_PROTOCOL_VERSION,
        maxProtocolVersion: MAX_PROTOCOL_VERSION,
        clientId: options.clientId,
        clientSoftware: CLIENT_SOFTWARE,
      };
      socket.write(Buffer.concat(encodeRequest(helloApi, helloApi.maxVersion, HELLO_CORRELATION_ID, request)));
    });
  });
}

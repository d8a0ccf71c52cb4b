import { connect, type Socket } from 'node:net';
import { helloApi } from '../../../src/protocols/native/apis/hello.ts';
import { type ApiSpec, decodeResponse, encodeRequest } from '../../../src/protocols/native/codec.ts';
import { FrameType, MAX_PROTOCOL_VERSION, MIN_PROTOCOL_VERSION } from '../../../src/protocols/native/constants.ts';
import { type Frame, FrameDecoder } from '../../../src/protocols/native/frames.ts';

/**
 * A bare socket speaking frames, for driving the server byte by byte (bad input, pipelining)
 * without the real client's retries and reconnects getting in the way.
 */
export class RawClient {
  readonly socket: Socket;
  readonly frames: Frame[] = [];
  private readonly decoder = new FrameDecoder(256 * 1024 * 1024);
  private waiters: (() => void)[] = [];
  closed: Promise<void>;
  isClosed = false;
  private nextCorrelationId = 1;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.decoder.push(chunk);
      for (let frame = this.decoder.next(); frame; frame = this.decoder.next()) this.frames.push(frame);
      this.wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static async open(port: number, options: { hello?: boolean } = {}): Promise<RawClient> {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawClient(socket);
    if (options.hello ?? true) {
      await client.call(helloApi, {
        minProtocolVersion: MIN_PROTOCOL_VERSION,
        maxProtocolVersion: MAX_PROTOCOL_VERSION,
        clientId: 'raw',
        clientSoftware: 'test',
      });
    }
    return client;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  send<Req>(spec: ApiSpec<Req, unknown>, request: Req, options: { version?: number; flags?: number } = {}): number {
    const correlationId = this.nextCorrelationId++;
    this.socket.write(Buffer.concat(encodeRequest(spec, options.version ?? spec.maxVersion, correlationId, request, options.flags ?? 0)));
    return correlationId;
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits for the frame answering `correlationId` (or an error frame, or close). */
  async waitFor(match: (frame: Frame) => boolean, timeoutMs = 5000): Promise<Frame | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex(match);
      if (index >= 0) return this.frames.splice(index, 1)[0]!;
      if (this.isClosed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a frame');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async response(correlationId: number, timeoutMs?: number): Promise<Frame> {
    const frame = await this.waitFor((f) => f.correlationId === correlationId && f.type === FrameType.response, timeoutMs);
    if (!frame) throw new Error(`connection closed before response ${correlationId}`);
    return frame;
  }

  async call<Req, Res>(spec: ApiSpec<Req, Res>, request: Req): Promise<Res> {
    const id = this.send(spec, request);
    const frame = await this.response(id);
    return decodeResponse(spec, frame.apiVersion, frame.body);
  }

  async errorFrame(timeoutMs?: number): Promise<Frame | null> {
    return this.waitFor((f) => f.type === FrameType.error, timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}

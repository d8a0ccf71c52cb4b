import { connect, type Socket } from 'node:net';
import { BufferWriter } from '../../../src/common/binary.ts';
import type { ApiSchema } from '../../../src/protocols/kafka/protocol/api.ts';
import { contextFor, decodeMessage, encodeMessage, inRange } from '../../../src/protocols/kafka/protocol/schema.ts';
import { ApiKey } from '../../../src/protocols/kafka/protocol/api.ts';

/** A whole request frame (size prefix, header v1/v2, body) for `api` at `version`. */
export function requestFrame<Req>(
  api: ApiSchema<Req, unknown>,
  version: number,
  correlationId: number,
  body: Req,
  clientId = 'raw',
): Buffer {
  const header = new BufferWriter(64);
  header.int16(api.key).int16(version).int32(correlationId).string(clientId);
  if (inRange(api.request.flexibleVersions, version)) header.uvarint(0);
  const encoded = encodeMessage(api.request, version, body).toBuffer();
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + encoded.length);
  return Buffer.concat([size, header.view(), encoded]);
}

export interface RawResponse {
  correlationId: number;
  /** The body after the response header. */
  body: Buffer;
}

/** Splits a response frame (without its size prefix) into correlation id and body. */
export function parseResponse<Res>(api: ApiSchema<unknown, Res>, version: number, frame: Buffer): { correlationId: number; body: Res } {
  const hasTaggedFields = contextFor(api.response, version).isFlexible && api.key !== ApiKey.ApiVersions;
  const bodyStart = hasTaggedFields ? 5 : 4;
  return { correlationId: frame.readInt32BE(0), body: decodeMessage(api.response, version, frame.subarray(bodyStart)) };
}

/** A Kafka connection without a client library: writes raw bytes, collects whole response frames. */
export class RawClient {
  readonly socket: Socket;
  readonly frames: Buffer[] = [];
  readonly closed: Promise<void>;
  private pending = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  isClosed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.pending = Buffer.concat([this.pending, chunk]);
      while (this.pending.length >= 4 && this.pending.length >= 4 + this.pending.readInt32BE(0)) {
        const size = this.pending.readInt32BE(0);
        this.frames.push(this.pending.subarray(4, 4 + size));
        this.pending = this.pending.subarray(4 + size);
      }
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

  static async open(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits for `count` frames in total (or the close), failing after `timeoutMs`. */
  async waitFrames(count: number, timeoutMs = 5000): Promise<Buffer[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < count && !this.isClosed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${count} frames, have ${this.frames.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames;
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closed,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('connection was not closed')), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

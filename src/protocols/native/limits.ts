import { ErrorCode, FerryError } from '../../common/errors.ts';

/**
 * Per-server limits of the native protocol. Every bound on what a client can make the broker
 * hold is here, with its default (docs/native-protocol.md section 7 documents each one).
 */
export interface NativeLimits {
  /** Connections accepted at once; the next one gets a TOO_MANY_CONNECTIONS error frame and is
   *  closed. Default 10,000. */
  maxConnections: number;
  /** Largest frame (header + body) accepted or sent, checked before allocating. A larger length
   *  closes the connection with FRAME_TOO_LARGE. Default 64 MiB. */
  maxFrameBytes: number;
  /** Request bytes being processed plus response bytes not yet taken by the socket. Above it,
   *  the session stops reading the socket until responses drain, so a client that never reads
   *  cannot grow broker memory. A single request larger than this is still served alone.
   *  Default 32 MiB. */
  maxInFlightBytesPerConnection: number;
  /** Requests being processed at once per connection (pipelining depth). Default 1,024. */
  maxInFlightRequestsPerConnection: number;
  /** A connection with no traffic either way for this long is closed. Default 10 minutes. */
  idleTimeoutMs: number;
  /** Time allowed between accept and a valid Hello. Default 10 s. */
  handshakeTimeoutMs: number;
  /** Upper bound on a fetch's long-poll wait, whatever the client asks. Default 30 s. */
  maxFetchWaitMs: number;
  /** After an error frame, how long the peer gets to read it before the socket is destroyed.
   *  Default 1 s. */
  closeGraceMs: number;
  /** Queue consumer handles (Subscribe) open at once on one connection. Default 1,024. */
  maxQueueConsumersPerConnection: number;
  /** Pushed deliveries the socket has not taken yet, in bytes. Above it the session lowers every
   *  queue consumer of the connection to a prefetch of 1 (the broker's minimum) until the socket
   *  drains, so a client that stops reading cannot make the broker buffer deliveries without
   *  bound. Default 8 MiB. */
  maxPushBufferedBytes: number;
}

export const DEFAULT_NATIVE_LIMITS: Readonly<NativeLimits> = {
  maxConnections: 10_000,
  maxFrameBytes: 64 * 1024 * 1024,
  maxInFlightBytesPerConnection: 32 * 1024 * 1024,
  maxInFlightRequestsPerConnection: 1024,
  idleTimeoutMs: 10 * 60 * 1000,
  handshakeTimeoutMs: 10_000,
  maxFetchWaitMs: 30_000,
  closeGraceMs: 1000,
  maxQueueConsumersPerConnection: 1024,
  maxPushBufferedBytes: 8 * 1024 * 1024,
};

export function resolveLimits(overrides: Partial<NativeLimits> | undefined): NativeLimits {
  const limits = { ...DEFAULT_NATIVE_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new FerryError(ErrorCode.INVALID_CONFIG, `native limit ${name} must be a positive number, got ${value}`, { name, value });
    }
  }
  return limits;
}

import type { BrokerWithQueues } from '../../../broker/types.ts';
import type { Logger } from '../../../common/logger.ts';
import type { ApiSpec } from '../codec.ts';
import type { NativeLimits } from '../limits.ts';
import type { SessionQueues } from '../session-queues.ts';

/** What a handler may use: the broker, this connection's facts, and an abort signal that fires
 *  when the connection closes (ends long polls and group joins early). */
export interface SessionContext {
  readonly broker: BrokerWithQueues;
  readonly limits: NativeLimits;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** From Hello. */
  clientId: string;
  /** Negotiated in Hello (0 before it). */
  protocolVersion: number;
  /** This connection's queue consumer handles. */
  readonly queues: SessionQueues;
  /** `host:port` of the peer. */
  readonly remoteAddress: string;
  readonly remoteHost: string;
  /** Where this client reached us: the node address Metadata hands out. */
  readonly localHost: string;
  readonly localPort: number;
}

export type Handler<Req, Res> = (context: SessionContext, request: Req) => Promise<Res>;

/** A spec bound to its handler; the pair is type-checked where it is made (`route`). */
export interface Route {
  readonly spec: ApiSpec<unknown, unknown>;
  readonly handle: Handler<unknown, unknown>;
  /** Bytes the answer may take, reserved against the connection's in-flight budget before the
   *  request is served: a pipeline of small fetch requests must not be allowed to produce
   *  large answers faster than the client reads them. */
  readonly responseBytes: (request: unknown) => number;
}

/** Default answer size estimate: small. */
const SMALL_RESPONSE_BYTES = 256;

export function route<Req, Res>(
  spec: ApiSpec<Req, Res>,
  handle: Handler<Req, Res>,
  options: { responseBytes?: (request: Req) => number } = {},
): Route {
  return {
    spec: spec as ApiSpec<unknown, unknown>,
    handle: handle as Handler<unknown, unknown>,
    responseBytes: (options.responseBytes as ((request: unknown) => number) | undefined) ?? (() => SMALL_RESPONSE_BYTES),
  };
}

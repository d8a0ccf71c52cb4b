import type { Socket } from 'node:net';
import type { BrokerWithQueues } from '../../broker/types.ts';
import { ErrorCode, FerryError } from '../../common/errors.ts';
import { type Logger, silentLogger } from '../../common/logger.ts';
import { listenTcp } from '../tcp-listener.ts';
import { encodeErrorFrame } from './codec.ts';
import { type NativeLimits, resolveLimits } from './limits.ts';
import { NativeSession } from './session.ts';

export interface NativeServerOptions {
  broker: BrokerWithQueues;
  host: string;
  /** 0 picks a free port (see `NativeServer.port`). */
  port: number;
  logger?: Logger;
  limits?: Partial<NativeLimits>;
}

export interface NativeServer {
  /** The port actually bound. */
  readonly port: number;
  readonly connectionCount: number;
  /** Stops accepting, tells every connection why, waits until all are closed. */
  close(): Promise<void>;
}

/** Listens for native-protocol clients; one NativeSession per accepted socket. */
export async function startNativeServer(options: NativeServerOptions): Promise<NativeServer> {
  const limits = resolveLimits(options.limits);
  const logger = (options.logger ?? silentLogger).child({ component: 'native' });
  return listenTcp<NativeSession>({
    protocol: 'native',
    metrics: options.broker.metrics?.protocol('native'),
    host: options.host,
    port: options.port,
    logger,
    maxConnections: limits.maxConnections,
    createSession: (socket, onClose) => new NativeSession({ socket, broker: options.broker, logger, limits, onClose }),
    // The native protocol can say why: an error frame, then the socket closes.
    refuse(socket: Socket) {
      const error = new FerryError(ErrorCode.TOO_MANY_CONNECTIONS, `connection limit of ${limits.maxConnections} reached`, {
        maxConnections: limits.maxConnections,
      });
      socket.end(encodeErrorFrame(0, error));
      setTimeout(() => socket.destroy(), limits.closeGraceMs).unref();
    },
  });
}

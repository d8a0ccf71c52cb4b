import { createServer, type Server, type Socket } from 'node:net';
import type { BrokerApi } from '../../broker/types.ts';
import { ErrorCode, FerryError } from '../../common/errors.ts';
import { type Logger, silentLogger } from '../../common/logger.ts';
import { encodeErrorFrame } from './codec.ts';
import { type NativeLimits, resolveLimits } from './limits.ts';
import { NativeSession } from './session.ts';

export interface NativeServerOptions {
  broker: BrokerApi;
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
  const sessions = new Set<NativeSession>();
  let refusedSinceLastLog = 0;

  // allowHalfOpen: a client that shuts its write side still gets answers to what it sent.
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true });
  server.on('connection', (socket: Socket) => {
    if (sessions.size >= limits.maxConnections) {
      refuse(socket);
      return;
    }
    const session = new NativeSession({
      socket,
      broker: options.broker,
      logger,
      limits,
      onClose: (closed) => sessions.delete(closed),
    });
    sessions.add(session);
  });
  server.on('error', (error) => logger.error({ err: error.message }, 'native listener error'));

  function refuse(socket: Socket): void {
    socket.on('error', () => {});
    const error = new FerryError(ErrorCode.TOO_MANY_CONNECTIONS, `connection limit of ${limits.maxConnections} reached`, {
      maxConnections: limits.maxConnections,
    });
    // One line per burst, not per refused socket: a connection flood must not flood the log.
    if (refusedSinceLastLog++ === 0) {
      logger.warn({ code: error.code, maxConnections: limits.maxConnections, remote: socket.remoteAddress }, 'native connection refused');
      setTimeout(() => {
        if (refusedSinceLastLog > 1) logger.warn({ refused: refusedSinceLastLog - 1 }, 'native connections refused at the limit');
        refusedSinceLastLog = 0;
      }, 10_000).unref();
    }
    socket.end(encodeErrorFrame(0, error));
    setTimeout(() => socket.destroy(), limits.closeGraceMs).unref();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  logger.info({ host: options.host, port }, 'native protocol listening');

  let closing: Promise<void> | null = null;
  return {
    port,
    get connectionCount() {
      return sessions.size;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.shutdown();
      });
      return closing;
    },
  };
}

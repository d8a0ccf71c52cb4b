import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../common/logger.ts';
import type { ProtocolMetrics } from '../observability/metrics/recorder.ts';

/** What a listener needs of a protocol session: a way to end it when the listener closes. */
export interface ListenerSession {
  shutdown(): void;
}

export interface TcpListenerOptions<S extends ListenerSession> {
  /** Protocol name for log lines (`native`, `kafka`). */
  protocol: string;
  host: string;
  /** 0 picks a free port (see `TcpListener.port`). */
  port: number;
  logger: Logger;
  maxConnections: number;
  /** Called once the port is bound, before the first connection is accepted. */
  onListening?(port: number): void;
  /** One session per accepted socket; the session calls `onClose` when its socket is gone. */
  createSession(socket: Socket, onClose: (session: S) => void): S;
  /** The protocol's goodbye to a socket over the connection limit (an error frame, or a close). */
  refuse(socket: Socket): void;
  /** Connections and network bytes of this protocol (counted at scrape time, not per chunk). */
  metrics?: ProtocolMetrics;
}

export interface TcpListener {
  /** The port actually bound. */
  readonly port: number;
  readonly connectionCount: number;
  /** Stops accepting, shuts every session down, resolves once all sockets are closed. */
  close(): Promise<void>;
}

const REFUSAL_LOG_WINDOW_MS = 10_000;

/**
 * The TCP side every wire protocol shares: bind, the connection limit, the set of live sessions
 * and an orderly close. Protocol adapters never import each other (DESIGN.md section 2), so what
 * they have in common lives here.
 */
export async function listenTcp<S extends ListenerSession>(options: TcpListenerOptions<S>): Promise<TcpListener> {
  const { logger, protocol, maxConnections } = options;
  const sessions = new Set<S>();
  let refusedSinceLastLog = 0;

  // allowHalfOpen: a client that shuts its write side still gets answers to what it sent.
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  options.onListening?.(port);

  server.on('connection', (socket: Socket) => {
    if (sessions.size >= maxConnections) {
      socket.on('error', () => {});
      logRefusal(socket);
      options.refuse(socket);
      return;
    }
    options.metrics?.trackConnection(socket);
    sessions.add(options.createSession(socket, (closed) => sessions.delete(closed)));
  });
  server.on('error', (error) => logger.error({ err: error.message }, `${protocol} listener error`));

  // One line per burst, not per refused socket: a connection flood must not flood the log.
  function logRefusal(socket: Socket): void {
    if (refusedSinceLastLog++ > 0) return;
    logger.warn({ maxConnections, remote: socket.remoteAddress }, `${protocol} connection refused: connection limit reached`);
    setTimeout(() => {
      if (refusedSinceLastLog > 1) logger.warn({ refused: refusedSinceLastLog - 1 }, `${protocol} connections refused at the limit`);
      refusedSinceLastLog = 0;
    }, REFUSAL_LOG_WINDOW_MS).unref();
  }

  logger.info({ host: options.host, port }, `${protocol} protocol listening`);

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

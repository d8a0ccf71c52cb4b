import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import type { BrokerApi } from '../../broker/types.ts';
import { type Logger, silentLogger } from '../../common/logger.ts';
import type { ListenerContext } from './handlers/context.ts';
import { type KafkaLimits, resolveKafkaLimits } from './limits.ts';
import { KafkaSession } from './session.ts';
import { TopicIdIndex } from './topic-ids.ts';

export interface KafkaServerOptions {
  broker: BrokerApi;
  /** Interface to listen on. */
  host: string;
  /** 0 picks a free port (see `KafkaServer.port`). */
  port: number;
  /** Host clients are told to connect to (Kafka's advertised.listeners). Default: `host`, or this
   *  machine's hostname when `host` is a wildcard address. */
  advertisedHost?: string;
  /** Port clients are told to connect to. Default: the port actually bound. */
  advertisedPort?: number;
  /** Returned in Metadata and DescribeCluster. Default: a fixed id (22 characters, as Kafka's). */
  clusterId?: string;
  logger?: Logger;
  limits?: Partial<KafkaLimits>;
}

export interface KafkaServer {
  /** The port actually bound. */
  readonly port: number;
  readonly connectionCount: number;
  /** Stops accepting, lets every connection write what it has answered, waits until all are closed. */
  close(): Promise<void>;
}

/** base64url of "FerryCluster0000": Kafka cluster ids are 16 bytes in that form. */
export const DEFAULT_CLUSTER_ID = 'RmVycnlDbHVzdGVyMDAwMA';

function isWildcard(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** Listens for Kafka clients; one KafkaSession per accepted socket. */
export async function startKafkaServer(options: KafkaServerOptions): Promise<KafkaServer> {
  const limits = resolveKafkaLimits(options.limits);
  const logger = (options.logger ?? silentLogger).child({ component: 'kafka' });
  const sessions = new Set<KafkaSession>();
  let refusedSinceLastLog = 0;

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

  const listener: ListenerContext = {
    broker: options.broker,
    logger,
    limits,
    node: {
      nodeId: options.broker.nodeId,
      host: options.advertisedHost ?? (isWildcard(options.host) ? hostname() : options.host),
      port: options.advertisedPort ?? port,
    },
    clusterId: options.clusterId ?? DEFAULT_CLUSTER_ID,
    topicIds: new TopicIdIndex(options.broker, limits.topicIdRefreshIntervalMs),
  };

  server.on('connection', (socket: Socket) => {
    if (sessions.size >= limits.maxConnections) {
      refuse(socket);
      return;
    }
    const session = new KafkaSession({ socket, listener, onClose: (closed) => sessions.delete(closed) });
    sessions.add(session);
  });
  server.on('error', (error) => logger.error({ err: error.message }, 'kafka listener error'));

  // Kafka has no error frame for this: the socket is closed, and one line is logged per burst.
  function refuse(socket: Socket): void {
    socket.on('error', () => {});
    socket.destroy();
    if (refusedSinceLastLog++ === 0) {
      logger.warn({ maxConnections: limits.maxConnections, remote: socket.remoteAddress }, 'kafka connection refused: connection limit');
      setTimeout(() => {
        if (refusedSinceLastLog > 1) logger.warn({ refused: refusedSinceLastLog - 1 }, 'kafka connections refused at the limit');
        refusedSinceLastLog = 0;
      }, 10_000).unref();
    }
  }

  logger.info({ host: options.host, port, advertised: `${listener.node.host}:${listener.node.port}` }, 'kafka protocol listening');

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

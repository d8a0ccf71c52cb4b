import type { Socket } from 'node:net';
import { hostname } from 'node:os';
import type { BrokerApi } from '../../broker/types.ts';
import { type Logger, silentLogger } from '../../common/logger.ts';
import { listenTcp } from '../tcp-listener.ts';
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
  let listener: ListenerContext | undefined;
  return listenTcp<KafkaSession>({
    protocol: 'kafka',
    metrics: options.broker.metrics?.protocol('kafka'),
    host: options.host,
    port: options.port,
    logger,
    maxConnections: limits.maxConnections,
    // The advertised port defaults to the bound one, known only once listening.
    onListening(port) {
      listener = {
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
      logger.info({ advertised: `${listener.node.host}:${listener.node.port}` }, 'kafka advertised address');
    },
    createSession: (socket, onClose) => new KafkaSession({ socket, listener: listener!, onClose }),
    // Kafka has no error frame for this: the socket is closed.
    refuse(socket: Socket) {
      socket.destroy();
    },
  });
}

import type { BrokerApi } from '../../../broker/types.ts';
import type { Logger } from '../../../common/logger.ts';
import type { KafkaLimits } from '../limits.ts';
import type { TopicIdIndex } from '../topic-ids.ts';

/** This broker as clients must reach it (Metadata, FindCoordinator, DescribeCluster). */
export interface AdvertisedNode {
  nodeId: number;
  host: string;
  port: number;
}

/** What every handler of one listener shares. */
export interface ListenerContext {
  readonly broker: BrokerApi;
  readonly logger: Logger;
  readonly limits: KafkaLimits;
  readonly node: AdvertisedNode;
  readonly clusterId: string;
  readonly topicIds: TopicIdIndex;
}

/** One request as a handler sees it. */
export interface RequestContext extends ListenerContext {
  readonly apiVersion: number;
  readonly clientId: string;
  readonly clientHost: string;
  /** Aborted when the connection closes: long polls and group joins stop waiting. */
  readonly signal: AbortSignal;
  /** Kafka closes a connection whose acks=0 produce failed: the only way to tell that client. */
  closeConnection(reason: string): void;
}

/** A handler's answer for a request that gets none (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no response');
export type NoResponse = typeof NO_RESPONSE;

import type { ApiSpec } from '../codec.ts';
import { ApiKey } from '../constants.ts';
import type { FerryError } from '../../../common/errors.ts';

/** Where topics' partitions live and how to reach their leaders. */
export interface MetadataRequest {
  /** null: every non-internal topic. */
  topics: string[] | null;
  /** Create requested topics that do not exist, when the broker allows it
   *  (`auto.create.topics.enable`), as Kafka does for producers. */
  allowAutoTopicCreation: boolean;
}

export interface NodeAddress {
  nodeId: number;
  host: string;
  port: number;
}

export interface PartitionMetadata {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  isOffline: boolean;
}

export interface TopicMetadata {
  name: string;
  /** UNKNOWN_TOPIC_OR_PARTITION for a requested topic that does not exist. */
  error: FerryError | null;
  isInternal: boolean;
  partitions: PartitionMetadata[];
}

export interface MetadataResponse {
  nodeId: number;
  nodes: NodeAddress[];
  topics: TopicMetadata[];
}

export const metadataApi: ApiSpec<MetadataRequest, MetadataResponse> = {
  key: ApiKey.metadata,
  name: 'Metadata',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.bool(req.topics !== null);
    if (req.topics) w.stringArray(req.topics);
    w.bool(req.allowAutoTopicCreation);
  },
  decodeRequest(r) {
    const topics = r.bool() ? r.stringArray() : null;
    return { topics, allowAutoTopicCreation: r.bool() };
  },
  encodeResponse(w, res) {
    w.i32(res.nodeId);
    w.array(res.nodes, (w, node) => w.i32(node.nodeId).string(node.host).u16(node.port));
    w.array(res.topics, (w, topic) => {
      w.string(topic.name).error(topic.error).bool(topic.isInternal);
      w.array(topic.partitions, (w, p) => {
        w.i32(p.partition).i32(p.leader).i32(p.leaderEpoch).int32Array(p.replicas).int32Array(p.isr).bool(p.isOffline);
      });
    });
  },
  decodeResponse(r) {
    return {
      nodeId: r.i32(),
      nodes: r.array((r) => ({ nodeId: r.i32(), host: r.string(), port: r.u16() }), 8),
      topics: r.array(
        (r) => ({
          name: r.string(),
          error: r.error(),
          isInternal: r.bool(),
          partitions: r.array(
            (r) => ({
              partition: r.i32(),
              leader: r.i32(),
              leaderEpoch: r.i32(),
              replicas: r.int32Array(),
              isr: r.int32Array(),
              isOffline: r.bool(),
            }),
            21,
          ),
        }),
        7,
      ),
    };
  },
};

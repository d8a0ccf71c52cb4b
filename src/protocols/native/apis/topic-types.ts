import type { WireReader, WireWriter } from '../wire.ts';

/**
 * Topic shapes as they travel on the wire. They mirror the broker's (src/broker/types.ts) field
 * for field, so a session hands broker results straight to the encoder, but are declared here:
 * the codec imports nothing from the broker, and the client imports the codec.
 */
export type TopicConfigEntries = Record<string, string>;

export interface PartitionInfo {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  leaderEpoch: number;
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
  sizeBytes: number;
  isOffline: boolean;
}

export interface TopicDescription {
  name: string;
  topicId: string;
  isInternal: boolean;
  partitions: PartitionInfo[];
  /** Effective config: explicit entries merged over broker defaults. */
  config: TopicConfigEntries;
  /** Only the entries set on this topic. */
  overrides: TopicConfigEntries;
}

export interface TopicSummary {
  name: string;
  partitionCount: number;
  isInternal: boolean;
}

export function writeTopicDescription(w: WireWriter, topic: TopicDescription): void {
  w.string(topic.name).string(topic.topicId).bool(topic.isInternal);
  w.array(topic.partitions, (w, p) => {
    w.i32(p.partition).i32(p.leader).int32Array(p.replicas).int32Array(p.isr).i32(p.leaderEpoch);
    w.i64(p.logStartOffset).i64(p.logEndOffset).i64(p.highWatermark).i64(p.sizeBytes).bool(p.isOffline);
  });
  w.entries(topic.config).entries(topic.overrides);
}

export function readTopicDescription(r: WireReader): TopicDescription {
  return {
    name: r.string(),
    topicId: r.string(),
    isInternal: r.bool(),
    partitions: r.array(
      (r) => ({
        partition: r.i32(),
        leader: r.i32(),
        replicas: r.int32Array(),
        isr: r.int32Array(),
        leaderEpoch: r.i32(),
        logStartOffset: r.i64(),
        logEndOffset: r.i64(),
        highWatermark: r.i64(),
        sizeBytes: r.i64(),
        isOffline: r.bool(),
      }),
      53,
    ),
    config: r.entries(),
    overrides: r.entries(),
  };
}

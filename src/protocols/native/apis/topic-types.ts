import type { WireReader, WireWriter } from '../wire.ts';

import type { TopicDescription } from '../../../common/admin-types.ts';

// The shapes are declared once in common/ (the broker reports them, this codec carries them,
// the client returns them); re-exported here for the codec's users.
export type { PartitionInfo, TopicConfigEntries, TopicDescription, TopicSummary } from '../../../common/admin-types.ts';

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

import type { ApiSpec } from '../codec.ts';
import { ApiKey } from '../constants.ts';
import type { EmptyBody } from './topics.ts';

/** Committed offsets of a group (Kafka's OffsetCommit / OffsetFetch). */

export interface OffsetCommitEntry {
  topic: string;
  partition: number;
  offset: number;
  /** -1: unknown. */
  leaderEpoch: number;
  metadata: string | null;
}

export interface CommitOffsetsRequest {
  groupId: string;
  /** -1 with an empty member id: a standalone commit, without group membership. */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  offsets: OffsetCommitEntry[];
}

export const commitOffsetsApi: ApiSpec<CommitOffsetsRequest, EmptyBody> = {
  key: ApiKey.commitOffsets,
  name: 'CommitOffsets',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.groupId).i32(req.generationId).string(req.memberId).nullableString(req.groupInstanceId);
    w.array(req.offsets, (w, o) => w.string(o.topic).i32(o.partition).i64(o.offset).i32(o.leaderEpoch).nullableString(o.metadata));
  },
  decodeRequest(r) {
    return {
      groupId: r.string(),
      generationId: r.i32(),
      memberId: r.string(),
      groupInstanceId: r.nullableString(),
      offsets: r.array(
        (r) => ({ topic: r.string(), partition: r.i32(), offset: r.i64(), leaderEpoch: r.i32(), metadata: r.nullableString() }),
        20,
      ),
    };
  },
  encodeResponse() {},
  decodeResponse() {
    return {};
  },
};

export interface FetchOffsetsRequest {
  groupId: string;
  /** null: every committed offset of the group. */
  partitions: { topic: string; partition: number }[] | null;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** -1 when nothing is committed. */
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

export const fetchOffsetsApi: ApiSpec<FetchOffsetsRequest, { offsets: CommittedOffset[] }> = {
  key: ApiKey.fetchOffsets,
  name: 'FetchOffsets',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.groupId).bool(req.partitions !== null);
    if (req.partitions) w.array(req.partitions, (w, p) => w.string(p.topic).i32(p.partition));
  },
  decodeRequest(r) {
    const groupId = r.string();
    const partitions = r.bool() ? r.array((r) => ({ topic: r.string(), partition: r.i32() }), 6) : null;
    return { groupId, partitions };
  },
  encodeResponse(w, res) {
    w.array(res.offsets, (w, o) => w.string(o.topic).i32(o.partition).i64(o.offset).i32(o.leaderEpoch).nullableString(o.metadata));
  },
  decodeResponse(r) {
    return {
      offsets: r.array(
        (r) => ({ topic: r.string(), partition: r.i32(), offset: r.i64(), leaderEpoch: r.i32(), metadata: r.nullableString() }),
        20,
      ),
    };
  },
};

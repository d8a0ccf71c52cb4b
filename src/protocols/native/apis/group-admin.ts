import type { GroupDescription, GroupState, GroupSummary } from '../../../common/admin-types.ts';
import type { FerryError } from '../../../common/errors.ts';
import type { ApiSpec } from '../codec.ts';
import { ApiKey } from '../constants.ts';
import type { WireReader } from '../wire.ts';
import type { EmptyBody } from './topics.ts';

/** Listing, describing (with lag) and deleting groups. */

export type { GroupDescription, GroupMemberDescription, GroupOffsetLag, GroupState, GroupSummary } from '../../../common/admin-types.ts';

const GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

function writeState(state: GroupState): number {
  return GROUP_STATES.indexOf(state);
}

function readState(r: WireReader): GroupState {
  const index = r.u8();
  return GROUP_STATES[index] ?? 'Dead';
}

export const listGroupsApi: ApiSpec<EmptyBody, { groups: GroupSummary[] }> = {
  key: ApiKey.listGroups,
  name: 'ListGroups',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest() {},
  decodeRequest() {
    return {};
  },
  encodeResponse(w, res) {
    w.array(res.groups, (w, g) => w.string(g.groupId).string(g.protocolType).u8(writeState(g.state)));
  },
  decodeResponse(r) {
    return { groups: r.array((r) => ({ groupId: r.string(), protocolType: r.string(), state: readState(r) }), 5) };
  },
};

export const describeGroupApi: ApiSpec<{ groupId: string }, GroupDescription> = {
  key: ApiKey.describeGroup,
  name: 'DescribeGroup',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.groupId);
  },
  decodeRequest(r) {
    return { groupId: r.string() };
  },
  encodeResponse(w, g) {
    w.string(g.groupId)
      .u8(writeState(g.state))
      .string(g.protocolType)
      .string(g.protocolName)
      .i32(g.generationId)
      .nullableString(g.leaderId);
    w.array(g.members, (w, m) => {
      w.string(m.memberId).nullableString(m.groupInstanceId).string(m.clientId).string(m.clientHost);
      w.bytes(m.metadata).bytes(m.assignment);
      w.array(m.assignedPartitions, (w, a) => w.string(a.topic).int32Array(a.partitions));
    });
    w.array(g.offsets, (w, o) => {
      w.string(o.topic).i32(o.partition).i64(o.committedOffset).i64(o.logEndOffset).i64(o.lag).nullableString(o.memberId);
    });
  },
  decodeResponse(r) {
    return {
      groupId: r.string(),
      state: readState(r),
      protocolType: r.string(),
      protocolName: r.string(),
      generationId: r.i32(),
      leaderId: r.nullableString(),
      members: r.array(
        (r) => ({
          memberId: r.string(),
          groupInstanceId: r.nullableString(),
          clientId: r.string(),
          clientHost: r.string(),
          metadata: Buffer.from(r.bytes()),
          assignment: Buffer.from(r.bytes()),
          assignedPartitions: r.array((r) => ({ topic: r.string(), partitions: r.int32Array() }), 6),
        }),
        20,
      ),
      offsets: r.array(
        (r) => ({
          topic: r.string(),
          partition: r.i32(),
          committedOffset: r.i64(),
          logEndOffset: r.i64(),
          lag: r.i64(),
          memberId: r.nullableString(),
        }),
        32,
      ),
    };
  },
};

export interface DeleteGroupResult {
  groupId: string;
  error: FerryError | null;
}

export const deleteGroupsApi: ApiSpec<{ groupIds: string[] }, { groups: DeleteGroupResult[] }> = {
  key: ApiKey.deleteGroups,
  name: 'DeleteGroups',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.stringArray(req.groupIds);
  },
  decodeRequest(r) {
    return { groupIds: r.stringArray() };
  },
  encodeResponse(w, res) {
    w.array(res.groups, (w, g) => w.string(g.groupId).error(g.error));
  },
  decodeResponse(r) {
    return { groups: r.array((r) => ({ groupId: r.string(), error: r.error() }), 4) };
  },
};

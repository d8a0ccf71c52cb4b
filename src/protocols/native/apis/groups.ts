import type { ApiSpec } from '../codec.ts';
import { ApiKey } from '../constants.ts';
import type { EmptyBody } from './topics.ts';

/**
 * Group membership, Kafka's coordinator protocol: members join with opaque protocol metadata,
 * the leader computes assignments client side and hands them back in SyncGroup, members
 * heartbeat until they leave. Metadata and assignments use Kafka's consumer-protocol encoding.
 */

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupRequest {
  groupId: string;
  /** Empty on the first join. */
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  /** (Kafka's requireKnownMemberId, KIP-394, is not offered: its MEMBER_ID_REQUIRED answer
   *  carries the id in a field the native error envelope does not have.) */
  protocols: GroupProtocol[];
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResponse {
  generationId: number;
  protocolType: string;
  protocolName: string;
  leaderId: string;
  memberId: string;
  /** Filled for the leader only. */
  members: JoinGroupMember[];
}

export const joinGroupApi: ApiSpec<JoinGroupRequest, JoinGroupResponse> = {
  key: ApiKey.joinGroup,
  name: 'JoinGroup',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.groupId).string(req.memberId).nullableString(req.groupInstanceId);
    w.u32(req.sessionTimeoutMs).u32(req.rebalanceTimeoutMs).string(req.protocolType);
    w.array(req.protocols, (w, p) => w.string(p.name).bytes(p.metadata));
  },
  decodeRequest(r) {
    return {
      groupId: r.string(),
      memberId: r.string(),
      groupInstanceId: r.nullableString(),
      sessionTimeoutMs: r.u32(),
      rebalanceTimeoutMs: r.u32(),
      protocolType: r.string(),
      protocols: r.array((r) => ({ name: r.string(), metadata: r.bytes() }), 6),
    };
  },
  encodeResponse(w, res) {
    w.i32(res.generationId).string(res.protocolType).string(res.protocolName).string(res.leaderId).string(res.memberId);
    w.array(res.members, (w, m) => w.string(m.memberId).nullableString(m.groupInstanceId).bytes(m.metadata));
  },
  decodeResponse(r) {
    return {
      generationId: r.i32(),
      protocolType: r.string(),
      protocolName: r.string(),
      leaderId: r.string(),
      memberId: r.string(),
      members: r.array((r) => ({ memberId: r.string(), groupInstanceId: r.nullableString(), metadata: r.bytes() }), 8),
    };
  },
};

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** Only the leader sends assignments. */
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface SyncGroupResponse {
  protocolType: string;
  protocolName: string;
  assignment: Buffer;
}

export const syncGroupApi: ApiSpec<SyncGroupRequest, SyncGroupResponse> = {
  key: ApiKey.syncGroup,
  name: 'SyncGroup',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.groupId).i32(req.generationId).string(req.memberId).nullableString(req.groupInstanceId);
    w.array(req.assignments, (w, a) => w.string(a.memberId).bytes(a.assignment));
  },
  decodeRequest(r) {
    return {
      groupId: r.string(),
      generationId: r.i32(),
      memberId: r.string(),
      groupInstanceId: r.nullableString(),
      assignments: r.array((r) => ({ memberId: r.string(), assignment: r.bytes() }), 6),
    };
  },
  encodeResponse(w, res) {
    w.string(res.protocolType).string(res.protocolName).bytes(res.assignment);
  },
  decodeResponse(r) {
    return { protocolType: r.string(), protocolName: r.string(), assignment: r.bytes() };
  },
};

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export const heartbeatApi: ApiSpec<HeartbeatRequest, EmptyBody> = {
  key: ApiKey.heartbeat,
  name: 'Heartbeat',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.groupId).i32(req.generationId).string(req.memberId).nullableString(req.groupInstanceId);
  },
  decodeRequest(r) {
    return { groupId: r.string(), generationId: r.i32(), memberId: r.string(), groupInstanceId: r.nullableString() };
  },
  encodeResponse() {},
  decodeResponse() {
    return {};
  },
};

export interface LeaveGroupRequest {
  groupId: string;
  members: { memberId: string; groupInstanceId: string | null }[];
}

export const leaveGroupApi: ApiSpec<LeaveGroupRequest, EmptyBody> = {
  key: ApiKey.leaveGroup,
  name: 'LeaveGroup',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.string(req.groupId).array(req.members, (w, m) => w.string(m.memberId).nullableString(m.groupInstanceId));
  },
  decodeRequest(r) {
    return { groupId: r.string(), members: r.array((r) => ({ memberId: r.string(), groupInstanceId: r.nullableString() }), 4) };
  },
  encodeResponse() {},
  decodeResponse() {
    return {};
  },
};

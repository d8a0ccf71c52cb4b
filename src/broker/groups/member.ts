import type { GroupProtocol, JoinGroupResult } from '../types.ts';
import type { ParkedRequest } from './parked-request.ts';

export interface SyncGroupResult {
  protocolType: string;
  protocolName: string;
  assignment: Buffer;
}

export interface MemberInit {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
}

const EMPTY = Buffer.alloc(0);

/** One member of a group: what it offered at its last JoinGroup, what it was assigned, and the
 *  requests it has parked. Its session timer is kept here so that it dies with the member. */
export class Member {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  readonly protocolType: string;
  protocols: GroupProtocol[];
  assignment: Buffer = EMPTY;
  awaitingJoin: ParkedRequest<JoinGroupResult> | null = null;
  awaitingSync: ParkedRequest<SyncGroupResult> | null = null;
  /** Joined but not yet through a completed JoinGroup: it has no session to keep alive yet. */
  isNew = false;
  sessionTimer: NodeJS.Timeout | null = null;
  sessionTimerMs = 0;

  constructor(init: MemberInit) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.protocolType = init.protocolType;
    this.protocols = init.protocols;
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  /** The same member under a new id (a static member rejoining without its old id). */
  withMemberId(memberId: string): Member {
    const copy = new Member({ ...this, memberId });
    copy.assignment = this.assignment;
    copy.isNew = this.isNew;
    return copy;
  }

  /** This member's metadata for the group's protocol; empty when it does not offer it. */
  metadataFor(protocolName: string | null): Buffer {
    if (protocolName === null) return EMPTY;
    for (const protocol of this.protocols) if (protocol.name === protocolName) return protocol.metadata;
    return EMPTY;
  }

  /** Same protocols, same order, same metadata bytes: a rejoin that changes nothing. */
  matches(protocols: readonly GroupProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    for (let i = 0; i < protocols.length; i++) {
      const mine = this.protocols[i]!;
      const theirs = protocols[i]!;
      if (mine.name !== theirs.name || !mine.metadata.equals(theirs.metadata)) return false;
    }
    return true;
  }

  supports(protocolName: string): boolean {
    return this.protocols.some((protocol) => protocol.name === protocolName);
  }

  /** Kafka's vote: the member's most preferred protocol among those every member supports. */
  vote(candidates: ReadonlySet<string>): string | undefined {
    return this.protocols.find((protocol) => candidates.has(protocol.name))?.name;
  }
}

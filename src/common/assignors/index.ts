import type { ConsumerSubscription } from '../consumer-protocol.ts';
import { ErrorCode, FerryError } from '../errors.ts';
import type { Assignor, AssignorMember } from './assignor.ts';
import { cooperativeStickyAssignor } from './cooperative-sticky.ts';
import { rangeAssignor } from './range.ts';
import { roundRobinAssignor } from './roundrobin.ts';

export type { Assignor, AssignorMember, GroupAssignment } from './assignor.ts';
export { compareMembers } from './assignor.ts';
export { cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor };

/** The assignors Ferry's leaders run, by Kafka's protocol name. */
export const ASSIGNORS: ReadonlyMap<string, Assignor> = new Map(
  [rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor].map((assignor) => [assignor.name, assignor]),
);

/** The assignor named `name`; INCONSISTENT_GROUP_PROTOCOL when Ferry has none by that name. */
export function getAssignor(name: string): Assignor {
  const assignor = ASSIGNORS.get(name);
  if (assignor === undefined) {
    throw new FerryError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `no assignor named ${JSON.stringify(name)}`, { name });
  }
  return assignor;
}

/**
 * An assignor's view of one member from its decoded JoinGroup metadata. The generation comes
 * from subscription v2+; older Kafka cooperative-sticky clients put it in userData as an int32
 * (see `cooperativeStickyUserData`), which is read when the field is missing.
 */
export function memberFromSubscription(
  memberId: string,
  subscription: ConsumerSubscription,
  groupInstanceId: string | null = null,
): AssignorMember {
  let generationId = subscription.generationId;
  if (generationId < 0 && subscription.version < 2 && subscription.userData !== null && subscription.userData.length >= 4) {
    generationId = subscription.userData.readInt32BE(0);
  }
  return {
    memberId,
    groupInstanceId,
    topics: subscription.topics,
    ownedPartitions: subscription.ownedPartitions,
    generationId,
  };
}

/** userData a cooperative-sticky member sends so leaders that read subscription v1 know its generation. */
export function cooperativeStickyUserData(generationId: number): Buffer {
  const buf = Buffer.allocUnsafe(4);
  buf.writeInt32BE(generationId, 0);
  return buf;
}

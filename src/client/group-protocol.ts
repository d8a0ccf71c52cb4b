import { ErrorCode, FerryError } from '../common/errors.ts';
import type { JoinGroupMember } from '../protocols/native/apis/groups.ts';

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

// TEMPORARY: wired to src/common/consumer-protocol.ts and src/common/assignors/ once they land.
function notYet(): never {
  throw new FerryError(ErrorCode.UNKNOWN_SERVER_ERROR, 'consumer groups need src/common/consumer-protocol.ts');
}

export function encodeSubscription(_topics: readonly string[], _owned: readonly TopicPartitions[]): Buffer {
  return notYet();
}

export function subscribedTopics(_members: readonly JoinGroupMember[]): string[] {
  return notYet();
}

export function assignPartitions(
  _protocolName: string,
  _members: readonly JoinGroupMember[],
  _partitionCounts: ReadonlyMap<string, number>,
): { memberId: string; assignment: Buffer }[] {
  return notYet();
}

export function decodeMemberAssignment(_assignment: Buffer): TopicPartitions[] {
  return notYet();
}

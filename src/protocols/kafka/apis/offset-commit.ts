import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, int16, int32, int64, nullableString, string } from '../protocol/types.ts';

/** OffsetCommit (key 8). v0 commits without a generation (standalone); v1 carries a per-partition
 *  commit timestamp, v2-v4 a retention time, both ignored as Kafka 2.1+ does. */
export const offsetCommitRequest = message(
  'OffsetCommitRequest',
  { valid: '0-9', flexible: '8+' },
  {
    groupId: field(string, '0+'),
    generationIdOrMemberEpoch: field(int32, '1+', -1),
    memberId: field(string, '1+'),
    groupInstanceId: field(nullableString, '7+'),
    retentionTimeMs: field(int64, '2-4', -1),
    topics: field(
      array(
        struct({
          name: field(string, '0+'),
          partitions: field(
            array(
              struct({
                partitionIndex: field(int32, '0+'),
                committedOffset: field(int64, '0+'),
                committedLeaderEpoch: field(int32, '6+', -1),
                commitTimestamp: field(int64, '1', -1),
                committedMetadata: field(nullableString, '0+'),
              }),
            ),
            '0+',
          ),
        }),
      ),
      '0+',
    ),
  },
);

export const offsetCommitResponse = message(
  'OffsetCommitResponse',
  { valid: '0-9', flexible: '8+' },
  {
    throttleTimeMs: field(int32, '3+'),
    topics: field(
      array(
        struct({
          name: field(string, '0+'),
          partitions: field(array(struct({ partitionIndex: field(int32, '0+'), errorCode: field(int16, '0+') })), '0+'),
        }),
      ),
      '0+',
    ),
  },
);

export const offsetCommitApi = defineApi({
  key: ApiKey.OffsetCommit,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 9,
  request: offsetCommitRequest,
  response: offsetCommitResponse,
});

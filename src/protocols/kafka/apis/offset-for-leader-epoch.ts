import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, int16, int32, int64, string } from '../protocol/types.ts';

/** OffsetForLeaderEpoch (key 23): the end offset of a leader epoch, which consumers use to detect
 *  log truncation after a leader change (KIP-320). */
export const offsetForLeaderEpochRequest = message(
  'OffsetForLeaderEpochRequest',
  { valid: '0-4', flexible: '4+' },
  {
    replicaId: field(int32, '3+', -2),
    topics: field(
      array(
        struct({
          topic: field(string, '0+'),
          partitions: field(
            array(
              struct({
                partition: field(int32, '0+'),
                currentLeaderEpoch: field(int32, '2+', -1),
                leaderEpoch: field(int32, '0+'),
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

export const offsetForLeaderEpochResponse = message(
  'OffsetForLeaderEpochResponse',
  { valid: '0-4', flexible: '4+' },
  {
    throttleTimeMs: field(int32, '2+'),
    topics: field(
      array(
        struct({
          topic: field(string, '0+'),
          partitions: field(
            array(
              struct({
                errorCode: field(int16, '0+'),
                partition: field(int32, '0+'),
                leaderEpoch: field(int32, '1+', -1),
                endOffset: field(int64, '0+', -1),
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

export const offsetForLeaderEpochApi = defineApi({
  key: ApiKey.OffsetForLeaderEpoch,
  name: 'OffsetForLeaderEpoch',
  minVersion: 0,
  maxVersion: 4,
  request: offsetForLeaderEpochRequest,
  response: offsetForLeaderEpochResponse,
});

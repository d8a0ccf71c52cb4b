import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, int16, int32, int64, int8, string } from '../protocol/types.ts';

/** ListOffsets (key 2): ListOffsetsRequest.json / ListOffsetsResponse.json. v0 answers with an
 *  array of "old style" offsets; special timestamps: -1 latest, -2 earliest, -3 max timestamp
 *  (v7+), -4 earliest local (v8+), -5 latest tiered (v9+). */
export const listOffsetsRequest = message(
  'ListOffsetsRequest',
  { valid: '0-10', flexible: '6+' },
  {
    replicaId: field(int32, '0+'),
    isolationLevel: field(int8, '2+'),
    topics: field(
      array(
        struct({
          name: field(string, '0+'),
          partitions: field(
            array(
              struct({
                partitionIndex: field(int32, '0+'),
                currentLeaderEpoch: field(int32, '4+', -1),
                timestamp: field(int64, '0+'),
                maxNumOffsets: field(int32, '0', 1),
              }),
            ),
            '0+',
          ),
        }),
      ),
      '0+',
    ),
    timeoutMs: field(int32, '10+'),
  },
);

export const listOffsetsResponse = message(
  'ListOffsetsResponse',
  { valid: '0-10', flexible: '6+' },
  {
    throttleTimeMs: field(int32, '2+'),
    topics: field(
      array(
        struct({
          name: field(string, '0+'),
          partitions: field(
            array(
              struct({
                partitionIndex: field(int32, '0+'),
                errorCode: field(int16, '0+'),
                oldStyleOffsets: field(array(int64), '0'),
                timestamp: field(int64, '1+', -1),
                offset: field(int64, '1+', -1),
                leaderEpoch: field(int32, '4+', -1),
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

export const listOffsetsApi = defineApi({
  key: ApiKey.ListOffsets,
  name: 'ListOffsets',
  minVersion: 0,
  maxVersion: 9,
  request: listOffsetsRequest,
  response: listOffsetsResponse,
});

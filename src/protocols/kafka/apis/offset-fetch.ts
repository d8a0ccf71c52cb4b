import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, bool, int16, int32, int64, nullableArray, nullableString, string } from '../protocol/types.ts';

/** OffsetFetch (key 9): one group up to v7, a batch of groups from v8. `topics` null (v2+) asks
 *  for every committed offset of the group. */
const requestTopic = struct({ name: field(string, '0+'), partitionIndexes: field(array(int32), '0+') });

export const offsetFetchRequest = message(
  'OffsetFetchRequest',
  { valid: '0-9', flexible: '6+' },
  {
    groupId: field(string, '0-7'),
    topics: field(nullableArray(requestTopic), '0-7'),
    groups: field(
      array(
        struct({
          groupId: field(string, '8+'),
          memberId: field(nullableString, '9+'),
          memberEpoch: field(int32, '9+', -1),
          topics: field(nullableArray(requestTopic), '8+'),
        }),
      ),
      '8+',
    ),
    requireStable: field(bool, '7+'),
  },
);

const responsePartition = struct({
  partitionIndex: field(int32, '0+'),
  committedOffset: field(int64, '0+'),
  committedLeaderEpoch: field(int32, '5+', -1),
  metadata: field(nullableString, '0+'),
  errorCode: field(int16, '0+'),
});

const responseTopic = struct({ name: field(string, '0+'), partitions: field(array(responsePartition), '0+') });

export const offsetFetchResponse = message(
  'OffsetFetchResponse',
  { valid: '0-9', flexible: '6+' },
  {
    throttleTimeMs: field(int32, '3+'),
    topics: field(array(responseTopic), '0-7'),
    errorCode: field(int16, '2-7'),
    groups: field(
      array(
        struct({
          groupId: field(string, '8+'),
          topics: field(array(responseTopic), '8+'),
          errorCode: field(int16, '8+'),
        }),
      ),
      '8+',
    ),
  },
);

export const offsetFetchApi = defineApi({
  key: ApiKey.OffsetFetch,
  name: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 9,
  request: offsetFetchRequest,
  response: offsetFetchResponse,
});

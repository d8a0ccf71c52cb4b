import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, bool, int16, int32, nullableArray, nullableString, string } from '../protocol/types.ts';

/** CreatePartitions (key 37): grows a topic to `count` partitions. */
export const createPartitionsRequest = message(
  'CreatePartitionsRequest',
  { valid: '0-3', flexible: '2+' },
  {
    topics: field(
      array(
        struct({
          name: field(string, '0+'),
          count: field(int32, '0+'),
          assignments: field(nullableArray(struct({ brokerIds: field(array(int32), '0+') })), '0+'),
        }),
      ),
      '0+',
    ),
    timeoutMs: field(int32, '0+'),
    validateOnly: field(bool, '0+'),
  },
);

export const createPartitionsResponse = message(
  'CreatePartitionsResponse',
  { valid: '0-3', flexible: '2+' },
  {
    throttleTimeMs: field(int32, '0+'),
    results: field(
      array(struct({ name: field(string, '0+'), errorCode: field(int16, '0+'), errorMessage: field(nullableString, '0+') })),
      '0+',
    ),
  },
);

export const createPartitionsApi = defineApi({
  key: ApiKey.CreatePartitions,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  request: createPartitionsRequest,
  response: createPartitionsResponse,
});

import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct, tagged } from '../protocol/schema.ts';
import { array, bool, int16, int32, int8, nullableArray, nullableString, string, uuid } from '../protocol/types.ts';

/** CreateTopics (key 19). -1 partitions or replication factor (v4+) means the broker's default. */
export const createTopicsRequest = message(
  'CreateTopicsRequest',
  { valid: '0-7', flexible: '5+' },
  {
    topics: field(
      array(
        struct({
          name: field(string, '0+'),
          numPartitions: field(int32, '0+'),
          replicationFactor: field(int16, '0+'),
          assignments: field(array(struct({ partitionIndex: field(int32, '0+'), brokerIds: field(array(int32), '0+') })), '0+'),
          configs: field(array(struct({ name: field(string, '0+'), value: field(nullableString, '0+') })), '0+'),
        }),
      ),
      '0+',
    ),
    timeoutMs: field(int32, '0+', 60_000),
    validateOnly: field(bool, '1+'),
  },
);

export const createTopicsResponse = message(
  'CreateTopicsResponse',
  { valid: '0-7', flexible: '5+' },
  {
    throttleTimeMs: field(int32, '2+'),
    topics: field(
      array(
        struct({
          name: field(string, '0+'),
          topicId: field(uuid, '7+'),
          errorCode: field(int16, '0+'),
          errorMessage: field(nullableString, '1+'),
          topicConfigErrorCode: tagged(int16, '5+', 0),
          numPartitions: field(int32, '5+', -1),
          replicationFactor: field(int16, '5+', -1),
          configs: field(
            nullableArray(
              struct({
                name: field(string, '5+'),
                value: field(nullableString, '5+'),
                readOnly: field(bool, '5+'),
                configSource: field(int8, '5+', -1),
                isSensitive: field(bool, '5+'),
              }),
            ),
            '5+',
          ),
        }),
      ),
      '0+',
    ),
  },
);

export const createTopicsApi = defineApi({
  key: ApiKey.CreateTopics,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 7,
  request: createTopicsRequest,
  response: createTopicsResponse,
});

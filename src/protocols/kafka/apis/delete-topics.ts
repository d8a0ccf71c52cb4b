import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, int16, int32, nullableString, string, uuid } from '../protocol/types.ts';

/** DeleteTopics (key 20): names up to v5, names or topic ids from v6. */
export const deleteTopicsRequest = message(
  'DeleteTopicsRequest',
  { valid: '0-6', flexible: '4+' },
  {
    topics: field(array(struct({ name: field(nullableString, '6+'), topicId: field(uuid, '6+') })), '6+'),
    topicNames: field(array(string), '0-5'),
    timeoutMs: field(int32, '0+'),
  },
);

export const deleteTopicsResponse = message(
  'DeleteTopicsResponse',
  { valid: '0-6', flexible: '4+' },
  {
    throttleTimeMs: field(int32, '1+'),
    responses: field(
      array(
        struct({
          name: field(nullableString, '0+'),
          topicId: field(uuid, '6+'),
          errorCode: field(int16, '0+'),
          errorMessage: field(nullableString, '5+'),
        }),
      ),
      '0+',
    ),
  },
);

export const deleteTopicsApi = defineApi({
  key: ApiKey.DeleteTopics,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 6,
  request: deleteTopicsRequest,
  response: deleteTopicsResponse,
});

import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, int16, int32, int8, nullableString, string } from '../protocol/types.ts';

/** FindCoordinator (key 10): one key up to v3, a batch of keys from v4. Key type 0 is a group,
 *  1 a transactional id. */
export const findCoordinatorRequest = message(
  'FindCoordinatorRequest',
  { valid: '0-6', flexible: '3+' },
  {
    key: field(string, '0-3'),
    keyType: field(int8, '1+'),
    coordinatorKeys: field(array(string), '4+'),
  },
);

export const findCoordinatorResponse = message(
  'FindCoordinatorResponse',
  { valid: '0-6', flexible: '3+' },
  {
    throttleTimeMs: field(int32, '1+'),
    errorCode: field(int16, '0-3'),
    errorMessage: field(nullableString, '1-3'),
    nodeId: field(int32, '0-3'),
    host: field(string, '0-3'),
    port: field(int32, '0-3'),
    coordinators: field(
      array(
        struct({
          key: field(string, '4+'),
          nodeId: field(int32, '4+'),
          host: field(string, '4+'),
          port: field(int32, '4+'),
          errorCode: field(int16, '4+'),
          errorMessage: field(nullableString, '4+'),
        }),
      ),
      '4+',
    ),
  },
);

export const findCoordinatorApi = defineApi({
  key: ApiKey.FindCoordinator,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 6,
  request: findCoordinatorRequest,
  response: findCoordinatorResponse,
});

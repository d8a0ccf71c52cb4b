import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, int16, int32, string } from '../protocol/types.ts';

/** DeleteGroups (key 42). */
export const deleteGroupsRequest = message(
  'DeleteGroupsRequest',
  { valid: '0-2', flexible: '2+' },
  {
    groupsNames: field(array(string), '0+'),
  },
);

export const deleteGroupsResponse = message(
  'DeleteGroupsResponse',
  { valid: '0-2', flexible: '2+' },
  {
    throttleTimeMs: field(int32, '0+'),
    results: field(array(struct({ groupId: field(string, '0+'), errorCode: field(int16, '0+') })), '0+'),
  },
);

export const deleteGroupsApi = defineApi({
  key: ApiKey.DeleteGroups,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  request: deleteGroupsRequest,
  response: deleteGroupsResponse,
});

import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, int16, int32, string } from '../protocol/types.ts';

/** ListGroups (key 16): v4 filters by state, v5 by group type. */
export const listGroupsRequest = message(
  'ListGroupsRequest',
  { valid: '0-5', flexible: '3+' },
  {
    statesFilter: field(array(string), '4+'),
    typesFilter: field(array(string), '5+'),
  },
);

export const listGroupsResponse = message(
  'ListGroupsResponse',
  { valid: '0-5', flexible: '3+' },
  {
    throttleTimeMs: field(int32, '1+'),
    errorCode: field(int16, '0+'),
    groups: field(
      array(
        struct({
          groupId: field(string, '0+'),
          protocolType: field(string, '0+'),
          groupState: field(string, '4+'),
          groupType: field(string, '5+'),
        }),
      ),
      '0+',
    ),
  },
);

export const listGroupsApi = defineApi({
  key: ApiKey.ListGroups,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 5,
  request: listGroupsRequest,
  response: listGroupsResponse,
});

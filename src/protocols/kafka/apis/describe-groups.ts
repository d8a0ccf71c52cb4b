import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, bool, bytes, int16, int32, nullableString, string } from '../protocol/types.ts';
import { AUTHORIZED_OPERATIONS_OMITTED } from './metadata.ts';

/** DescribeGroups (key 15). */
export const describeGroupsRequest = message(
  'DescribeGroupsRequest',
  { valid: '0-5', flexible: '5+' },
  {
    groups: field(array(string), '0+'),
    includeAuthorizedOperations: field(bool, '3+'),
  },
);

export const describeGroupsResponse = message(
  'DescribeGroupsResponse',
  { valid: '0-5', flexible: '5+' },
  {
    throttleTimeMs: field(int32, '1+'),
    groups: field(
      array(
        struct({
          errorCode: field(int16, '0+'),
          groupId: field(string, '0+'),
          groupState: field(string, '0+'),
          protocolType: field(string, '0+'),
          protocolData: field(string, '0+'),
          members: field(
            array(
              struct({
                memberId: field(string, '0+'),
                groupInstanceId: field(nullableString, '4+'),
                clientId: field(string, '0+'),
                clientHost: field(string, '0+'),
                memberMetadata: field(bytes, '0+'),
                memberAssignment: field(bytes, '0+'),
              }),
            ),
            '0+',
          ),
          authorizedOperations: field(int32, '3+', AUTHORIZED_OPERATIONS_OMITTED),
        }),
      ),
      '0+',
    ),
  },
);

export const describeGroupsApi = defineApi({
  key: ApiKey.DescribeGroups,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  request: describeGroupsRequest,
  response: describeGroupsResponse,
});

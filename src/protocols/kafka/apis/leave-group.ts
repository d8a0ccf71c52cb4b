import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, int16, int32, nullableString, string } from '../protocol/types.ts';

/** LeaveGroup (key 13): one member up to v2, a batch of members (static ones by instance id)
 *  from v3. */
export const leaveGroupRequest = message(
  'LeaveGroupRequest',
  { valid: '0-5', flexible: '4+' },
  {
    groupId: field(string, '0+'),
    memberId: field(string, '0-2'),
    members: field(
      array(
        struct({
          memberId: field(string, '3+'),
          groupInstanceId: field(nullableString, '3+'),
          reason: field(nullableString, '5+'),
        }),
      ),
      '3+',
    ),
  },
);

export const leaveGroupResponse = message(
  'LeaveGroupResponse',
  { valid: '0-5', flexible: '4+' },
  {
    throttleTimeMs: field(int32, '1+'),
    errorCode: field(int16, '0+'),
    members: field(
      array(
        struct({
          memberId: field(string, '3+'),
          groupInstanceId: field(nullableString, '3+'),
          errorCode: field(int16, '3+'),
        }),
      ),
      '3+',
    ),
  },
);

export const leaveGroupApi = defineApi({
  key: ApiKey.LeaveGroup,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 5,
  request: leaveGroupRequest,
  response: leaveGroupResponse,
});

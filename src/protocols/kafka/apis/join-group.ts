import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, bool, bytes, int16, int32, nullableString, string } from '../protocol/types.ts';

/** JoinGroup (key 11): JoinGroupRequest.json / JoinGroupResponse.json. From v4 a first join
 *  without a member id is answered MEMBER_ID_REQUIRED with the id to use (KIP-394). */
export const joinGroupRequest = message(
  'JoinGroupRequest',
  { valid: '0-9', flexible: '6+' },
  {
    groupId: field(string, '0+'),
    sessionTimeoutMs: field(int32, '0+'),
    rebalanceTimeoutMs: field(int32, '1+', -1),
    memberId: field(string, '0+'),
    groupInstanceId: field(nullableString, '5+'),
    protocolType: field(string, '0+'),
    protocols: field(array(struct({ name: field(string, '0+'), metadata: field(bytes, '0+') })), '0+'),
    reason: field(nullableString, '8+'),
  },
);

export const joinGroupResponse = message(
  'JoinGroupResponse',
  { valid: '0-9', flexible: '6+' },
  {
    throttleTimeMs: field(int32, '2+'),
    errorCode: field(int16, '0+'),
    generationId: field(int32, '0+', -1),
    protocolType: field(nullableString, '7+'),
    protocolName: field(nullableString, '0+'),
    leader: field(string, '0+'),
    skipAssignment: field(bool, '9+'),
    memberId: field(string, '0+'),
    members: field(
      array(
        struct({
          memberId: field(string, '0+'),
          groupInstanceId: field(nullableString, '5+'),
          metadata: field(bytes, '0+'),
        }),
      ),
      '0+',
    ),
  },
);

export const joinGroupApi = defineApi({
  key: ApiKey.JoinGroup,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 9,
  request: joinGroupRequest,
  response: joinGroupResponse,
});

import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, bytes, int16, int32, nullableString, string } from '../protocol/types.ts';

/** SyncGroup (key 14): the leader hands in every member's assignment, each member gets its own. */
export const syncGroupRequest = message(
  'SyncGroupRequest',
  { valid: '0-5', flexible: '4+' },
  {
    groupId: field(string, '0+'),
    generationId: field(int32, '0+'),
    memberId: field(string, '0+'),
    groupInstanceId: field(nullableString, '3+'),
    protocolType: field(nullableString, '5+'),
    protocolName: field(nullableString, '5+'),
    assignments: field(array(struct({ memberId: field(string, '0+'), assignment: field(bytes, '0+') })), '0+'),
  },
);

export const syncGroupResponse = message(
  'SyncGroupResponse',
  { valid: '0-5', flexible: '4+' },
  {
    throttleTimeMs: field(int32, '1+'),
    errorCode: field(int16, '0+'),
    protocolType: field(nullableString, '5+'),
    protocolName: field(nullableString, '5+'),
    assignment: field(bytes, '0+'),
  },
);

export const syncGroupApi = defineApi({
  key: ApiKey.SyncGroup,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 5,
  request: syncGroupRequest,
  response: syncGroupResponse,
});

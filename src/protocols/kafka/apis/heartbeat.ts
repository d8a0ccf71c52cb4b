import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message } from '../protocol/schema.ts';
import { int16, int32, nullableString, string } from '../protocol/types.ts';

/** Heartbeat (key 12). */
export const heartbeatRequest = message(
  'HeartbeatRequest',
  { valid: '0-4', flexible: '4+' },
  {
    groupId: field(string, '0+'),
    generationId: field(int32, '0+'),
    memberId: field(string, '0+'),
    groupInstanceId: field(nullableString, '3+'),
  },
);

export const heartbeatResponse = message(
  'HeartbeatResponse',
  { valid: '0-4', flexible: '4+' },
  {
    throttleTimeMs: field(int32, '1+'),
    errorCode: field(int16, '0+'),
  },
);

export const heartbeatApi = defineApi({
  key: ApiKey.Heartbeat,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 4,
  request: heartbeatRequest,
  response: heartbeatResponse,
});

import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, bool, int16, int32, int8, nullableString, string } from '../protocol/types.ts';

/** AlterConfigs (key 33): replaces a resource's whole set of overrides. */
export const alterConfigsRequest = message(
  'AlterConfigsRequest',
  { valid: '0-2', flexible: '2+' },
  {
    resources: field(
      array(
        struct({
          resourceType: field(int8, '0+'),
          resourceName: field(string, '0+'),
          configs: field(array(struct({ name: field(string, '0+'), value: field(nullableString, '0+') })), '0+'),
        }),
      ),
      '0+',
    ),
    validateOnly: field(bool, '0+'),
  },
);

/** Shared with IncrementalAlterConfigs, whose response has the same fields. */
export const alterConfigsResourceResponse = struct({
  errorCode: field(int16, '0+'),
  errorMessage: field(nullableString, '0+'),
  resourceType: field(int8, '0+'),
  resourceName: field(string, '0+'),
});

export const alterConfigsResponse = message(
  'AlterConfigsResponse',
  { valid: '0-2', flexible: '2+' },
  {
    throttleTimeMs: field(int32, '0+'),
    responses: field(array(alterConfigsResourceResponse), '0+'),
  },
);

export const alterConfigsApi = defineApi({
  key: ApiKey.AlterConfigs,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  request: alterConfigsRequest,
  response: alterConfigsResponse,
});

import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, bool, int32, int8, nullableString, string } from '../protocol/types.ts';
import { alterConfigsResourceResponse } from './alter-configs.ts';

/** IncrementalAlterConfigs (key 44): per-entry SET / DELETE / APPEND / SUBTRACT (KIP-339). */
export const ConfigOperation = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

export const incrementalAlterConfigsRequest = message(
  'IncrementalAlterConfigsRequest',
  { valid: '0-1', flexible: '1+' },
  {
    resources: field(
      array(
        struct({
          resourceType: field(int8, '0+'),
          resourceName: field(string, '0+'),
          configs: field(
            array(struct({ name: field(string, '0+'), configOperation: field(int8, '0+'), value: field(nullableString, '0+') })),
            '0+',
          ),
        }),
      ),
      '0+',
    ),
    validateOnly: field(bool, '0+'),
  },
);

export const incrementalAlterConfigsResponse = message(
  'IncrementalAlterConfigsResponse',
  { valid: '0-1', flexible: '1+' },
  {
    throttleTimeMs: field(int32, '0+'),
    responses: field(array(alterConfigsResourceResponse), '0+'),
  },
);

export const incrementalAlterConfigsApi = defineApi({
  key: ApiKey.IncrementalAlterConfigs,
  name: 'IncrementalAlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  request: incrementalAlterConfigsRequest,
  response: incrementalAlterConfigsResponse,
});

import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, bool, int16, int32, int8, nullableArray, nullableString, string } from '../protocol/types.ts';

/** DescribeConfigs (key 32). `configurationKeys` null asks for every entry. */
export const describeConfigsRequest = message(
  'DescribeConfigsRequest',
  { valid: '0-4', flexible: '4+' },
  {
    resources: field(
      array(
        struct({
          resourceType: field(int8, '0+'),
          resourceName: field(string, '0+'),
          configurationKeys: field(nullableArray(string), '0+'),
        }),
      ),
      '0+',
    ),
    includeSynonyms: field(bool, '1+'),
    includeDocumentation: field(bool, '3+'),
  },
);

export const describeConfigsResponse = message(
  'DescribeConfigsResponse',
  { valid: '0-4', flexible: '4+' },
  {
    throttleTimeMs: field(int32, '0+'),
    results: field(
      array(
        struct({
          errorCode: field(int16, '0+'),
          errorMessage: field(nullableString, '0+'),
          resourceType: field(int8, '0+'),
          resourceName: field(string, '0+'),
          configs: field(
            array(
              struct({
                name: field(string, '0+'),
                value: field(nullableString, '0+'),
                readOnly: field(bool, '0+'),
                isDefault: field(bool, '0'),
                configSource: field(int8, '1+', -1),
                isSensitive: field(bool, '0+'),
                synonyms: field(
                  array(struct({ name: field(string, '1+'), value: field(nullableString, '1+'), source: field(int8, '1+') })),
                  '1+',
                ),
                configType: field(int8, '3+'),
                documentation: field(nullableString, '3+'),
              }),
            ),
            '0+',
          ),
        }),
      ),
      '0+',
    ),
  },
);

export const describeConfigsApi = defineApi({
  key: ApiKey.DescribeConfigs,
  name: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: 4,
  request: describeConfigsRequest,
  response: describeConfigsResponse,
});

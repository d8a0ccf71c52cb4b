import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct, tagged } from '../protocol/schema.ts';
import { array, bool, int16, int32, int64, string } from '../protocol/types.ts';

/** ApiVersions (key 18): ApiVersionsRequest.json / ApiVersionsResponse.json. Its response header
 *  is always v0 (no tagged fields), so a client can read it before it knows our versions. */
export const apiVersionsRequest = message(
  'ApiVersionsRequest',
  { valid: '0-4', flexible: '3+' },
  {
    clientSoftwareName: field(string, '3+'),
    clientSoftwareVersion: field(string, '3+'),
  },
);

const apiVersion = struct({
  apiKey: field(int16, '0+'),
  minVersion: field(int16, '0+'),
  maxVersion: field(int16, '0+'),
});

const supportedFeature = struct({
  name: field(string, '3+'),
  minVersion: field(int16, '3+'),
  maxVersion: field(int16, '3+'),
});

const finalizedFeature = struct({
  name: field(string, '3+'),
  maxVersionLevel: field(int16, '3+'),
  minVersionLevel: field(int16, '3+'),
});

export const apiVersionsResponse = message(
  'ApiVersionsResponse',
  { valid: '0-4', flexible: '3+' },
  {
    errorCode: field(int16, '0+'),
    apiKeys: field(array(apiVersion), '0+'),
    throttleTimeMs: field(int32, '1+'),
    supportedFeatures: tagged(array(supportedFeature), '3+', 0),
    finalizedFeaturesEpoch: tagged(int64, '3+', 1),
    finalizedFeatures: tagged(array(finalizedFeature), '3+', 2),
    zkMigrationReady: tagged(bool, '3+', 3),
  },
);

export const apiVersionsApi = defineApi({
  key: ApiKey.ApiVersions,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 3,
  request: apiVersionsRequest,
  response: apiVersionsResponse,
});

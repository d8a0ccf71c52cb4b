import type { apiVersionsResponse } from '../apis/api-versions.ts';
import { KAFKA_APIS } from '../apis/index.ts';
import { KafkaErrorCode } from '../error-codes.ts';
import type { Infer } from '../protocol/schema.ts';

type ApiVersionsResponse = Infer<typeof apiVersionsResponse>;

const API_KEYS = [...KAFKA_APIS.values()]
  .map((api) => ({ apiKey: api.key, minVersion: api.minVersion, maxVersion: api.maxVersion }))
  .sort((a, b) => a.apiKey - b.apiKey);

/** The versions Ferry serves. Also the answer to an ApiVersions version it does not know (sent as
 *  v0 with UNSUPPORTED_VERSION, KIP-511), so the client can retry with one it does. */
export function apiVersions(errorCode: number = KafkaErrorCode.NONE): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys: API_KEYS,
    throttleTimeMs: 0,
    supportedFeatures: null,
    finalizedFeaturesEpoch: null,
    finalizedFeatures: null,
    zkMigrationReady: null,
  };
}

import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, bool, int16, int32, nullableArray, nullableString, string, uuid } from '../protocol/types.ts';

/** Metadata (key 3): MetadataRequest.json / MetadataResponse.json. `topics` null (v1+) asks for
 *  every topic; v0 says the same with an empty array. */
export const metadataRequest = message(
  'MetadataRequest',
  { valid: '0-12', flexible: '9+' },
  {
    topics: field(
      nullableArray(
        struct({
          topicId: field(uuid, '10+'),
          name: field(nullableString, '0+'),
        }),
      ),
      '0+',
    ),
    allowAutoTopicCreation: field(bool, '4+', true),
    includeClusterAuthorizedOperations: field(bool, '8-10'),
    includeTopicAuthorizedOperations: field(bool, '8+'),
  },
);

/** Kafka's "authorized operations were not asked for" value. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

const metadataPartition = struct({
  errorCode: field(int16, '0+'),
  partitionIndex: field(int32, '0+'),
  leaderId: field(int32, '0+'),
  leaderEpoch: field(int32, '7+', -1),
  replicaNodes: field(array(int32), '0+'),
  isrNodes: field(array(int32), '0+'),
  offlineReplicas: field(array(int32), '5+'),
});

export const metadataResponse = message(
  'MetadataResponse',
  { valid: '0-12', flexible: '9+' },
  {
    throttleTimeMs: field(int32, '3+'),
    brokers: field(
      array(
        struct({
          nodeId: field(int32, '0+'),
          host: field(string, '0+'),
          port: field(int32, '0+'),
          rack: field(nullableString, '1+'),
        }),
      ),
      '0+',
    ),
    clusterId: field(nullableString, '2+'),
    controllerId: field(int32, '1+', -1),
    topics: field(
      array(
        struct({
          errorCode: field(int16, '0+'),
          name: field(nullableString, '0+'),
          topicId: field(uuid, '10+'),
          isInternal: field(bool, '1+'),
          partitions: field(array(metadataPartition), '0+'),
          topicAuthorizedOperations: field(int32, '8+', AUTHORIZED_OPERATIONS_OMITTED),
        }),
      ),
      '0+',
    ),
    clusterAuthorizedOperations: field(int32, '8-10', AUTHORIZED_OPERATIONS_OMITTED),
  },
);

export const metadataApi = defineApi({
  key: ApiKey.Metadata,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 12,
  request: metadataRequest,
  response: metadataResponse,
});

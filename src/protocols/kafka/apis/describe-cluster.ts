import { ApiKey, defineApi } from '../protocol/api.ts';
import { field, message, struct } from '../protocol/schema.ts';
import { array, bool, int16, int32, int8, nullableString, string } from '../protocol/types.ts';
import { AUTHORIZED_OPERATIONS_OMITTED } from './metadata.ts';

/** DescribeCluster (key 60): flexible from v0. Endpoint type 1 is "brokers". */
export const describeClusterRequest = message(
  'DescribeClusterRequest',
  { valid: '0-1', flexible: '0+' },
  {
    includeClusterAuthorizedOperations: field(bool, '0+'),
    endpointType: field(int8, '1+', 1),
  },
);

export const describeClusterResponse = message(
  'DescribeClusterResponse',
  { valid: '0-1', flexible: '0+' },
  {
    throttleTimeMs: field(int32, '0+'),
    errorCode: field(int16, '0+'),
    errorMessage: field(nullableString, '0+'),
    endpointType: field(int8, '1+', 1),
    clusterId: field(string, '0+'),
    controllerId: field(int32, '0+', -1),
    brokers: field(
      array(
        struct({
          brokerId: field(int32, '0+'),
          host: field(string, '0+'),
          port: field(int32, '0+'),
          rack: field(nullableString, '0+'),
        }),
      ),
      '0+',
    ),
    clusterAuthorizedOperations: field(int32, '0+', AUTHORIZED_OPERATIONS_OMITTED),
  },
);

export const describeClusterApi = defineApi({
  key: ApiKey.DescribeCluster,
  name: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 1,
  request: describeClusterRequest,
  response: describeClusterResponse,
});

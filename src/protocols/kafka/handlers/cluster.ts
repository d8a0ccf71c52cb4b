import type { describeClusterRequest, describeClusterResponse } from '../apis/describe-cluster.ts';
import { AUTHORIZED_OPERATIONS_OMITTED } from '../apis/metadata.ts';
import { KafkaErrorCode } from '../error-codes.ts';
import type { Infer } from '../protocol/schema.ts';
import type { RequestContext } from './context.ts';

type DescribeClusterRequest = Infer<typeof describeClusterRequest>;
type DescribeClusterResponse = Infer<typeof describeClusterResponse>;

const BROKERS_ENDPOINT = 1;

/** DescribeCluster: this broker is the whole cluster and its controller. Controller endpoints
 *  (type 2, KIP-919) are not served by a broker listener. */
export function handleDescribeCluster(ctx: RequestContext, request: DescribeClusterRequest): DescribeClusterResponse {
  const { nodeId, host, port } = ctx.node;
  const isBrokers = request.endpointType === BROKERS_ENDPOINT;
  return {
    throttleTimeMs: 0,
    errorCode: isBrokers ? KafkaErrorCode.NONE : KafkaErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
    errorMessage: isBrokers ? null : `endpoint type ${request.endpointType} is not served here`,
    endpointType: request.endpointType,
    clusterId: ctx.clusterId,
    controllerId: nodeId,
    brokers: isBrokers ? [{ brokerId: nodeId, host, port, rack: null }] : [],
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

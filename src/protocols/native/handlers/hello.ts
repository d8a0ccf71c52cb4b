import { ErrorCode, FerryError } from '../../../common/errors.ts';
import { ALL_APIS } from '../apis/index.ts';
import type { HelloRequest, HelloResponse } from '../apis/hello.ts';
import { MAX_PROTOCOL_VERSION, MIN_PROTOCOL_VERSION } from '../constants.ts';
import type { SessionContext } from './route.ts';

export const SERVER_SOFTWARE = 'ferry/0.1.0';

/** Picks the highest protocol version both sides speak, or refuses with UNSUPPORTED_VERSION. */
export function negotiateHello(request: HelloRequest, context: SessionContext): HelloResponse {
  const version = Math.min(request.maxProtocolVersion, MAX_PROTOCOL_VERSION);
  if (version < request.minProtocolVersion || version < MIN_PROTOCOL_VERSION) {
    throw new FerryError(
      ErrorCode.UNSUPPORTED_VERSION,
      `client speaks protocol v${request.minProtocolVersion}-v${request.maxProtocolVersion}, server v${MIN_PROTOCOL_VERSION}-v${MAX_PROTOCOL_VERSION}`,
      { clientMin: request.minProtocolVersion, clientMax: request.maxProtocolVersion },
    );
  }
  return {
    protocolVersion: version,
    nodeId: context.broker.nodeId,
    serverSoftware: SERVER_SOFTWARE,
    maxFrameBytes: context.limits.maxFrameBytes,
    maxInFlightBytes: context.limits.maxInFlightBytesPerConnection,
    maxInFlightRequests: context.limits.maxInFlightRequestsPerConnection,
    apis: ALL_APIS.map((api) => ({ apiKey: api.key, minVersion: api.minVersion, maxVersion: api.maxVersion })),
  };
}

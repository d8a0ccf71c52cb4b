import { ErrorCode, FerryError } from '../../../common/errors.ts';
import type { ApiSpec } from '../codec.ts';
import { ApiKey, HELLO_MAGIC } from '../constants.ts';

/** The handshake: first request on every connection (docs/native-protocol.md section 4). */
export interface HelloRequest {
  minProtocolVersion: number;
  maxProtocolVersion: number;
  clientId: string;
  /** Free text for logs, e.g. `ferrymq-client/0.1.0`. */
  clientSoftware: string;
}

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface HelloResponse {
  protocolVersion: number;
  nodeId: number;
  serverSoftware: string;
  /** The server's limits, so a client sizes its requests and pipelining to fit. */
  maxFrameBytes: number;
  maxInFlightBytes: number;
  maxInFlightRequests: number;
  apis: ApiVersionRange[];
}

export const helloApi: ApiSpec<HelloRequest, HelloResponse> = {
  key: ApiKey.hello,
  name: 'Hello',
  minVersion: 1,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.u32(HELLO_MAGIC).u16(req.minProtocolVersion).u16(req.maxProtocolVersion).string(req.clientId).string(req.clientSoftware);
  },
  decodeRequest(r) {
    const magic = r.u32();
    if (magic !== HELLO_MAGIC) {
      throw new FerryError(
        ErrorCode.INVALID_REQUEST,
        `Hello magic 0x${magic.toString(16)} is not 0x${HELLO_MAGIC.toString(16)}: not a Ferry client`,
      );
    }
    return { minProtocolVersion: r.u16(), maxProtocolVersion: r.u16(), clientId: r.string(), clientSoftware: r.string() };
  },
  encodeResponse(w, res) {
    w.u16(res.protocolVersion).i32(res.nodeId).string(res.serverSoftware);
    w.u32(res.maxFrameBytes).u32(res.maxInFlightBytes).u32(res.maxInFlightRequests);
    w.array(res.apis, (w, api) => w.u16(api.apiKey).u16(api.minVersion).u16(api.maxVersion));
  },
  decodeResponse(r) {
    return {
      protocolVersion: r.u16(),
      nodeId: r.i32(),
      serverSoftware: r.string(),
      maxFrameBytes: r.u32(),
      maxInFlightBytes: r.u32(),
      maxInFlightRequests: r.u32(),
      apis: r.array((r) => ({ apiKey: r.u16(), minVersion: r.u16(), maxVersion: r.u16() }), 6),
    };
  },
};

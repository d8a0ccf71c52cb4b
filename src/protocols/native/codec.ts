import { ErrorCode, FerryError } from '../../common/errors.ts';
import { FRAME_HEADER_BYTES, FrameType, LENGTH_PREFIX_BYTES } from './constants.ts';
import { encodeFrameHeader, type Frame } from './frames.ts';
import { WireReader, WireWriter } from './wire.ts';

/**
 * One API of the native protocol: its key, the versions this build speaks, and pure encoders
 * and decoders for its request and response bodies (no broker imports: fuzzable). The response
 * envelope (error code + message) is added here, once, for every API.
 */
export interface ApiSpec<Req, Res> {
  readonly key: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  encodeRequest(writer: WireWriter, request: Req, version: number): void;
  decodeRequest(reader: WireReader, version: number): Req;
  encodeResponse(writer: WireWriter, response: Res, version: number): void;
  decodeResponse(reader: WireReader, version: number): Res;
}

/** A frame as pieces to write back to back: a 14-byte header, then the body parts. */
export type EncodedFrame = Buffer[];

function frameOf(type: FrameType, apiKey: number, apiVersion: number, correlationId: number, flags: number, body: Buffer[]): EncodedFrame {
  let bodyBytes = 0;
  for (const part of body) bodyBytes += part.length;
  return [encodeFrameHeader({ type, apiKey, apiVersion, correlationId, flags }, bodyBytes), ...body];
}

export function encodedFrameBytes(frame: EncodedFrame): number {
  let bytes = 0;
  for (const part of frame) bytes += part.length;
  return bytes;
}

/** Turns anything a decoder threw into INVALID_REQUEST (a decoder must never leak a RangeError). */
function asInvalid(error: unknown, what: string): FerryError {
  if (error instanceof FerryError) return error;
  return new FerryError(ErrorCode.INVALID_REQUEST, `${what}: ${error instanceof Error ? error.message : String(error)}`);
}

// ------------------------------------------------------------------------------- requests

export function encodeRequest<Req>(
  spec: ApiSpec<Req, unknown>,
  version: number,
  correlationId: number,
  request: Req,
  flags = 0,
): EncodedFrame {
  const writer = new WireWriter();
  spec.encodeRequest(writer, request, version);
  return frameOf(FrameType.request, spec.key, version, correlationId, flags, writer.finish());
}

export function decodeRequest<Req>(spec: ApiSpec<Req, unknown>, version: number, body: Buffer): Req {
  try {
    const reader = new WireReader(body);
    const request = spec.decodeRequest(reader, version);
    reader.end();
    return request;
  } catch (error) {
    throw asInvalid(error, `malformed ${spec.name} request`);
  }
}

// ------------------------------------------------------------------------------ responses

export function encodeResponse<Res>(spec: ApiSpec<unknown, Res>, version: number, correlationId: number, response: Res): EncodedFrame {
  const writer = new WireWriter();
  writer.error(null);
  spec.encodeResponse(writer, response, version);
  return frameOf(FrameType.response, spec.key, version, correlationId, 0, writer.finish());
}

/** A response carrying only an error: the whole request failed. */
export function encodeErrorResponse(apiKey: number, version: number, correlationId: number, error: FerryError): EncodedFrame {
  const writer = new WireWriter(64);
  writer.error(error);
  return frameOf(FrameType.response, apiKey, version, correlationId, 0, writer.finish());
}

/** The response, or throws the FerryError the server answered with. */
export function decodeResponse<Res>(spec: ApiSpec<unknown, Res>, version: number, body: Buffer): Res {
  let reader: WireReader;
  let error: FerryError | null;
  try {
    reader = new WireReader(body);
    error = reader.error();
  } catch (cause) {
    throw asInvalid(cause, `malformed ${spec.name} response`);
  }
  if (error) throw error;
  try {
    const response = spec.decodeResponse(reader, version);
    reader.end();
    return response;
  } catch (cause) {
    throw asInvalid(cause, `malformed ${spec.name} response`);
  }
}

// ---------------------------------------------------------------------------- error frames

/** A connection-level fault, sent just before the server closes the connection. */
export function encodeErrorFrame(correlationId: number, error: FerryError): Buffer {
  const writer = new WireWriter(64);
  writer.error(error);
  return Buffer.concat(frameOf(FrameType.error, 0, 0, correlationId, 0, writer.finish()));
}

export function decodeErrorFrame(frame: Frame): FerryError {
  try {
    const error = new WireReader(frame.body).error();
    return error ?? new FerryError(ErrorCode.UNKNOWN_SERVER_ERROR, 'error frame without an error code');
  } catch (cause) {
    return asInvalid(cause, 'malformed error frame');
  }
}

export const FRAME_OVERHEAD_BYTES = LENGTH_PREFIX_BYTES + FRAME_HEADER_BYTES;

import type { ApiSchema } from './protocol/api.ts';
import { contextFor } from './protocol/schema.ts';
import { KafkaWriter } from './protocol/writer.ts';
import { encodeResponseHeader } from './header.ts';

/** A whole response frame as pieces to write back to back (stored batches are referenced). */
export interface EncodedResponse {
  parts: Buffer[];
  sizeBytes: number;
}

/** Size prefix, response header and body of `api` at `version`. */
export function encodeResponse<Res>(api: ApiSchema<unknown, Res>, version: number, correlationId: number, response: Res): EncodedResponse {
  const ctx = contextFor(api.response, version);
  const body = new KafkaWriter();
  api.response.body.write(body, response, ctx);
  const bodyBytes = body.length;
  const header = encodeResponseHeader(api.key, ctx.isFlexible, correlationId, bodyBytes);
  return { parts: [header, ...body.finish()], sizeBytes: header.length + bodyBytes };
}

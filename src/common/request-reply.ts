import type { RecordHeader } from './record-batch.ts';
import { headerText, ReservedHeader, textHeader } from './reserved-headers.ts';

/**
 * Request/reply over topics, the same for every protocol: a request carries `ferry-reply-to` (the
 * topic the requester listens on) and `ferry-correlation-id`; the reply goes to that topic with
 * the same correlation id. Pure helpers: the client's `request()` and `reply()` and any protocol
 * adapter (AMQP reply_to/correlation_id, MQTT 5 response topic/correlation data) use them.
 */
export interface ReplyAddress {
  replyTo: string;
  correlationId: string;
}

/** The headers a request adds to the caller's own. */
export function requestHeaders(address: ReplyAddress, headers: readonly RecordHeader[] = []): RecordHeader[] {
  const kept = headers.filter((header) => header.key !== ReservedHeader.replyTo && header.key !== ReservedHeader.correlationId);
  kept.push(textHeader(ReservedHeader.replyTo, address.replyTo), textHeader(ReservedHeader.correlationId, address.correlationId));
  return kept;
}

/** Where a reply to this request goes, or null when the record is not a request. */
export function replyAddressOf(headers: readonly RecordHeader[]): ReplyAddress | null {
  const replyTo = headerText(headers, ReservedHeader.replyTo);
  const correlationId = headerText(headers, ReservedHeader.correlationId);
  if (replyTo === null || replyTo.length === 0 || correlationId === null) return null;
  return { replyTo, correlationId };
}

/** The headers of a reply: the caller's own plus the request's correlation id. */
export function replyHeaders(request: ReplyAddress, headers: readonly RecordHeader[] = []): RecordHeader[] {
  const kept = headers.filter((header) => header.key !== ReservedHeader.correlationId && header.key !== ReservedHeader.replyTo);
  kept.push(textHeader(ReservedHeader.correlationId, request.correlationId));
  return kept;
}

/** The correlation id a reply carries, or null. */
export function correlationIdOf(headers: readonly RecordHeader[]): string | null {
  return headerText(headers, ReservedHeader.correlationId);
}

import { randomBytes } from 'node:crypto';
import { ErrorCode, FerryError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { RecordHeader } from '../common/record-batch.ts';
import { correlationIdOf, replyAddressOf, replyHeaders, requestHeaders } from '../common/request-reply.ts';
import type { Admin } from './admin.ts';
import type { Producer } from './producer.ts';
import type { QueueMessage } from './queue-message.ts';
import type { QueueSubscribeOptions, QueueSubscription } from './queue-subscription.ts';
import { type RecordBytes, type RecordHeaders, toBuffer } from './records.ts';

export interface RequestMessage {
  value: RecordBytes | null;
  key?: RecordBytes | null;
  headers?: RecordHeaders;
}

export interface RequestOptions {
  /** Rejects with TIMEOUT when no reply came by then. Default 30 s. */
  timeoutMs?: number;
}

export interface RequesterOptions {
  admin: Admin;
  producer: () => Producer;
  subscribe: (options: QueueSubscribeOptions) => Promise<QueueSubscription>;
  logger: Logger;
  /** Most requests waiting for a reply at once. */
  maxPendingRequests: number;
  /** Retention of the reply topic, so one left behind by a crashed client goes away. */
  replyRetentionMs: number;
}

interface PendingReply {
  resolve: (message: QueueMessage) => void;
  reject: (error: FerryError) => void;
  timer: NodeJS.Timeout;
}

function toHeaderList(headers: RecordHeaders | undefined): RecordHeader[] {
  const list: RecordHeader[] = [];
  if (headers) for (const key in headers) list.push({ key, value: toBuffer(headers[key]!) });
  return list;
}

function toHeaderRecord(list: readonly RecordHeader[]): RecordHeaders {
  const headers: RecordHeaders = {};
  for (const header of list) if (header.value !== null) headers[header.key] = header.value;
  return headers;
}

/**
 * Request/reply over topics (src/common/request-reply.ts). Each client has one reply topic of its
 * own, `__reply-<random>`, made on the first request with short retention and read through a
 * shared subscription from its start (it is new, so nothing older is there). Replies are matched
 * by correlation id; a reply nobody waits for (late, or for another client) is acked and dropped.
 * `close()` deletes the reply topic.
 */
export class Requester {
  private readonly options: RequesterOptions;
  private readonly pending = new Map<string, PendingReply>();
  private replyTopic: string | null = null;
  private starting: Promise<string> | null = null;
  private subscription: QueueSubscription | null = null;
  private nextId = 0;
  private readonly idPrefix = randomBytes(6).toString('hex');

  constructor(options: RequesterOptions) {
    this.options = options;
  }

  async request(topic: string, message: RequestMessage, options: RequestOptions = {}): Promise<QueueMessage> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new FerryError(ErrorCode.INVALID_REQUEST, `timeoutMs must be positive`);
    if (this.pending.size >= this.options.maxPendingRequests) {
      throw new FerryError(ErrorCode.INVALID_REQUEST, `${this.pending.size} requests are waiting for replies (maxPendingRequests)`);
    }
    const replyTo = await this.start();
    const correlationId = `${this.idPrefix}-${this.nextId++}`;
    const reply = new Promise<QueueMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(correlationId)) return;
        reject(new FerryError(ErrorCode.TIMEOUT, `no reply from ${topic} within ${timeoutMs} ms`, { topic, timeoutMs, correlationId }));
      }, timeoutMs);
      this.pending.set(correlationId, { resolve, reject, timer });
    });
    const headers = toHeaderRecord(requestHeaders({ replyTo, correlationId }, toHeaderList(message.headers)));
    try {
      await this.options.producer().send({ topic, value: message.value, key: message.key ?? null, headers });
    } catch (error) {
      const pending = this.pending.get(correlationId);
      if (pending) {
        clearTimeout(pending.timer);
        this.pending.delete(correlationId);
      }
      throw error;
    }
    return reply;
  }

  /** Sends `response` to the requester of `request`; INVALID_REQUEST if it is not a request. */
  async reply(request: QueueMessage | { headerList: readonly RecordHeader[] }, response: RequestMessage): Promise<void> {
    const address = replyAddressOf(request.headerList);
    if (address === null) throw new FerryError(ErrorCode.INVALID_REQUEST, 'the message carries no ferry-reply-to / ferry-correlation-id');
    const headers = toHeaderRecord(replyHeaders(address, toHeaderList(response.headers)));
    await this.options.producer().send({ topic: address.replyTo, value: response.value, key: response.key ?? null, headers });
  }

  async close(): Promise<void> {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new FerryError(ErrorCode.CONNECTION_CLOSED, 'client closed before the reply came', { correlationId: id }));
    }
    this.pending.clear();
    await this.subscription?.close().catch(() => {});
    if (this.replyTopic) await this.options.admin.deleteTopic(this.replyTopic).catch(() => {});
  }

  private start(): Promise<string> {
    this.starting ??= (async () => {
      const topic = `__reply-${randomBytes(8).toString('hex')}`;
      await this.options.admin.createTopic({
        name: topic,
        partitions: 1,
        config: { 'retention.ms': String(this.options.replyRetentionMs) },
      });
      this.replyTopic = topic;
      const subscription = await this.options.subscribe({ topic, subscription: 'replies', mode: 'shared', startAt: 'earliest' });
      this.subscription = subscription;
      subscription
        .run({ eachMessage: (message) => this.onReply(message), autoAck: true })
        .catch((error: unknown) => this.options.logger.warn({ err: String(error), topic }, 'reply subscription ended'));
      return topic;
    })();
    this.starting.catch(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private onReply(message: QueueMessage): void {
    const id = correlationIdOf(message.headerList);
    const pending = id === null ? undefined : this.pending.get(id);
    if (pending === undefined) {
      this.options.logger.debug({ correlationId: id }, 'reply to an unknown correlation id dropped');
      return;
    }
    this.pending.delete(id!);
    clearTimeout(pending.timer);
    pending.resolve(message);
  }
}

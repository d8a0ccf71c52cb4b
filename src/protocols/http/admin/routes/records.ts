import type { BrokerWithQueues } from '../../../../broker/types.ts';
import { ErrorCode, FerryError } from '../../../../common/errors.ts';
import { partitionForKey } from '../../../../common/murmur2.ts';
import { encodeRecordBatch, type ProducerRecord, type RecordHeader } from '../../../../common/record-batch.ts';
import { type AdminLimits, DEFAULT_PAGE_RECORDS } from '../limits.ts';
import { readPage } from '../read-page.ts';
import { type BinaryEncoding, jsonToBytes, recordToJson } from '../record-json.ts';
import { type AdminRoute, route } from '../route.ts';
import { closedObject, encodingSchema, offset, partitionNumber, recordOut, topicName } from '../schemas.ts';

const TAG = 'records';

export interface PeekQuery {
  offset?: number;
  limit: number;
  maxBytes: number;
  encoding?: BinaryEncoding;
}

/** Query of a page of records (peek and dead-letter browsing), bounded by the configured limits. */
export function pageQuery(limits: AdminLimits): Record<string, unknown> {
  return closedObject({
    offset: { ...offset, description: 'First offset; default the log start offset.' },
    limit: { type: 'integer', minimum: 1, maximum: limits.maxPeekRecords, default: Math.min(DEFAULT_PAGE_RECORDS, limits.maxPeekRecords) },
    maxBytes: { type: 'integer', minimum: 1, maximum: limits.maxPeekBytes, default: limits.maxPeekBytes },
    encoding: { ...encodingSchema, description: 'Force one encoding; default UTF-8 where the bytes are valid UTF-8, else base64.' },
  });
}

export const pageOut = {
  type: 'object',
  properties: {
    topic: { type: 'string' },
    partition: { type: 'integer' },
    logStartOffset: { type: 'integer' },
    highWatermark: { type: 'integer' },
    nextOffset: { type: 'integer' },
    records: { type: 'array', items: recordOut },
  },
  required: ['topic', 'partition', 'logStartOffset', 'highWatermark', 'nextOffset', 'records'],
};

interface ProduceBody {
  encoding?: BinaryEncoding;
  records: {
    partition?: number;
    key?: string | null;
    value?: string | null;
    headers?: Record<string, string>;
    timestamp?: number;
  }[];
}

/** Peek records by offset, and produce JSON records (for curl users and scripts). */
export function recordRoutes(broker: BrokerWithQueues, limits: AdminLimits): AdminRoute[] {
  let nextPartition = 0;
  return [
    route<{ topic: string; partition: number }, PeekQuery>({
      method: 'GET',
      url: '/api/topics/:topic/partitions/:partition/records',
      operationId: 'peekRecords',
      summary:
        'Read records of one partition from an offset without consuming them: key, value and header values as UTF-8 or base64, timestamps, offsets.',
      tag: TAG,
      params: closedObject({ topic: topicName, partition: partitionNumber }, ['topic', 'partition']),
      querystring: pageQuery(limits),
      successStatus: 200,
      response: pageOut,
      async handle({ params, query }) {
        const page = await readPage(broker, { ...params, offset: query.offset, limit: query.limit, maxBytes: query.maxBytes });
        return { ...params, ...page, records: page.records.map((record) => recordToJson(record, query.encoding)) };
      },
    }),
    route<{ topic: string }, Record<string, never>, ProduceBody>({
      method: 'POST',
      url: '/api/topics/:topic/records',
      operationId: 'produceRecords',
      summary:
        'Append records given as JSON. A record goes to its `partition`, else by the hash of its key (as Kafka clients do), else round robin. Answers once durable.',
      tag: TAG,
      params: closedObject({ topic: topicName }, ['topic']),
      body: closedObject(
        {
          encoding: { ...encodingSchema, default: 'utf8', description: 'How keys, values and header values are written.' },
          records: {
            type: 'array',
            minItems: 1,
            maxItems: limits.maxProduceRecords,
            items: closedObject({
              partition: partitionNumber,
              key: { type: ['string', 'null'] },
              value: { type: ['string', 'null'] },
              headers: { type: 'object', additionalProperties: { type: 'string' } },
              timestamp: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
            }),
          },
        },
        ['records'],
      ),
      successStatus: 200,
      response: {
        type: 'object',
        properties: {
          offsets: {
            type: 'array',
            items: {
              type: 'object',
              properties: { partition: { type: 'integer' }, offset: { type: 'integer' } },
              required: ['partition', 'offset'],
            },
          },
        },
        required: ['offsets'],
      },
      async handle({ params, body }) {
        const partitionCount = broker.describeTopic(params.topic).partitions.length;
        const encoding = body.encoding ?? 'utf8';
        const byPartition = new Map<number, { records: ProducerRecord[]; positions: number[] }>();
        body.records.forEach((input, position) => {
          const key = jsonToBytes(input.key, encoding, `records[${position}].key`);
          let partition = input.partition;
          if (partition === undefined) {
            partition = key !== null ? partitionForKey(key, partitionCount) : nextPartition++ % partitionCount;
          } else if (partition >= partitionCount) {
            throw new FerryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${params.topic} has no partition ${partition}`, {
              topic: params.topic,
              partition,
            });
          }
          const headers: RecordHeader[] = Object.entries(input.headers ?? {}).map(([name, text]) => ({
            key: name,
            value: jsonToBytes(text, encoding, `records[${position}].headers.${name}`),
          }));
          const record: ProducerRecord = {
            key,
            value: jsonToBytes(input.value, encoding, `records[${position}].value`),
            headers,
            ...(input.timestamp !== undefined ? { timestamp: input.timestamp } : {}),
          };
          let group = byPartition.get(partition);
          if (group === undefined) byPartition.set(partition, (group = { records: [], positions: [] }));
          group.records.push(record);
          group.positions.push(position);
        });
        const offsets: { partition: number; offset: number }[] = new Array(body.records.length);
        for (const [partition, group] of byPartition) {
          const result = await broker.produce({
            topic: params.topic,
            partition,
            batches: encodeRecordBatch({ records: group.records }),
            acks: -1,
          });
          group.positions.forEach((position, index) => {
            offsets[position] = { partition, offset: result.baseOffset + index };
          });
        }
        return { offsets };
      },
    }),
  ];
}

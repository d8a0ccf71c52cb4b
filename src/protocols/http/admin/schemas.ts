import type { JsonSchema } from './route.ts';

/**
 * Schema pieces shared by the admin routes. Fastify's Ajv runs with `removeAdditional`, which
 * silently drops properties where `additionalProperties: false`; a typo such as `partiton` would
 * then be ignored instead of refused. `{ not: {} }` (matches nothing) makes an unknown field a
 * validation error instead (400), and says the same thing in the OpenAPI document.
 */
export const NO_OTHER_FIELDS: JsonSchema = { not: {} };

export function closedObject(properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema {
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}), additionalProperties: NO_OTHER_FIELDS };
}

/** Kafka's legal topic names (the broker checks the same rule; this answers 400 before it). */
export const topicName: JsonSchema = { type: 'string', pattern: '^[a-zA-Z0-9._-]+$', minLength: 1, maxLength: 249 };

export const offset: JsonSchema = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER };

export const partitionNumber: JsonSchema = { type: 'integer', minimum: 0, maximum: 2_147_483_647 };

export const stringMap: JsonSchema = { type: 'object', additionalProperties: { type: 'string' } };

export const topicParams = closedObject({ topic: topicName }, ['topic']);

export const nameOfSubscription: JsonSchema = { type: 'string', minLength: 1, maxLength: 249 };

export const subscriptionParams = closedObject({ topic: topicName, name: nameOfSubscription }, ['topic', 'name']);

export const groupParams = closedObject({ group: { type: 'string', minLength: 1, maxLength: 255 } }, ['group']);

/** Every error answer (see src/protocols/http/server.ts). */
export const errorSchema: JsonSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
};

export const encodingSchema: JsonSchema = { type: 'string', enum: ['utf8', 'base64'] };

export const recordHeaderOut: JsonSchema = {
  type: 'object',
  properties: { key: { type: 'string' }, value: { type: ['string', 'null'] }, valueEncoding: encodingSchema },
  required: ['key', 'value', 'valueEncoding'],
};

/** A record as peek and dead-letter browsing show it. */
export const recordOut: JsonSchema = {
  type: 'object',
  properties: {
    offset: { type: 'integer' },
    timestamp: { type: 'integer' },
    key: { type: ['string', 'null'] },
    keyEncoding: encodingSchema,
    value: { type: ['string', 'null'] },
    valueEncoding: encodingSchema,
    headers: { type: 'array', items: recordHeaderOut },
  },
  required: ['offset', 'timestamp', 'key', 'keyEncoding', 'value', 'valueEncoding', 'headers'],
};

export const partitionOut: JsonSchema = {
  type: 'object',
  properties: {
    partition: { type: 'integer' },
    leader: { type: 'integer' },
    replicas: { type: 'array', items: { type: 'integer' } },
    isr: { type: 'array', items: { type: 'integer' } },
    leaderEpoch: { type: 'integer' },
    logStartOffset: { type: 'integer' },
    logEndOffset: { type: 'integer' },
    highWatermark: { type: 'integer' },
    sizeBytes: { type: 'integer' },
    isOffline: { type: 'boolean' },
  },
  required: ['partition', 'logStartOffset', 'logEndOffset', 'highWatermark', 'sizeBytes', 'isOffline'],
};

export const topicOut: JsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    topicId: { type: 'string' },
    isInternal: { type: 'boolean' },
    partitions: { type: 'array', items: partitionOut },
    config: stringMap,
    overrides: stringMap,
    warnings: { type: 'array', items: { type: 'string' } },
  },
  required: ['name', 'topicId', 'isInternal', 'partitions', 'config', 'overrides'],
};

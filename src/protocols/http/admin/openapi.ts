import type { AdminRoute, JsonSchema } from './route.ts';
import { errorSchema } from './schemas.ts';

export const OPENAPI_PATH = '/api/openapi.json';

export interface OpenApiInfo {
  title: string;
  version: string;
}

/** Fastify's `:name` path parameters as OpenAPI's `{name}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parametersOf(schema: JsonSchema | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (schema === undefined) return [];
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      schema: rest,
      ...(description !== undefined ? { description } : {}),
    };
  });
}

const ERROR_RESPONSE = {
  description:
    'Error: 400 bad request, 403 forbidden, 404 not found, 409 conflict, 413 too large, 429 limit reached, 5xx broker unavailable.',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

/**
 * The OpenAPI 3.1 document of the admin API, written from the same route objects that register
 * the routes (their request schemas validate requests, their response schemas serialize answers),
 * so it lists exactly what the server does. OpenAPI 3.1 uses JSON Schema 2020-12, which the route
 * schemas already are.
 */
export function openApiDocument(routes: readonly AdminRoute[], info: OpenApiInfo): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const adminRoute of routes) {
    const path = openApiPath(adminRoute.url);
    const success: JsonSchema =
      adminRoute.response === null
        ? { description: 'Done (no body).' }
        : { description: 'Success.', content: { 'application/json': { schema: adminRoute.response } } };
    const operation: JsonSchema = {
      operationId: adminRoute.operationId,
      summary: adminRoute.summary,
      tags: [adminRoute.tag],
      parameters: [...parametersOf(adminRoute.params, 'path'), ...parametersOf(adminRoute.querystring, 'query')],
      responses: { [String(adminRoute.successStatus)]: success, default: ERROR_RESPONSE },
    };
    if (adminRoute.body) {
      operation.requestBody = { required: true, content: { 'application/json': { schema: adminRoute.body } } };
    }
    paths[path] ??= {};
    paths[path][adminRoute.method.toLowerCase()] = operation;
  }
  paths[OPENAPI_PATH] = {
    get: {
      operationId: 'openApiDocument',
      summary: 'This document.',
      tags: ['meta'],
      responses: { '200': { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'Ferry admin API: topics, partitions, records, consumer groups, queue subscriptions and dead letters. See docs/http-api.md.',
    },
    paths,
    components: { schemas: { Error: errorSchema } },
  };
}

import type { FastifyReply, FastifyRequest, FastifySchema } from 'fastify';

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1) as a plain object. */
export type JsonSchema = Record<string, unknown>;

export type AdminMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** What a handler gets: params, query and body as the route's schemas validated them. */
export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  reply: FastifyReply;
}

/**
 * One admin endpoint. The same object registers the Fastify route (its schemas validate the
 * request and serialize the answer) and writes its entry in the OpenAPI document, so the document
 * cannot drift from what the server accepts.
 */
export interface AdminRoute {
  method: AdminMethod;
  /** Fastify syntax (`/api/topics/:topic`); the OpenAPI document shows `{topic}`. */
  url: string;
  operationId: string;
  summary: string;
  tag: string;
  params?: JsonSchema;
  querystring?: JsonSchema;
  body?: JsonSchema;
  /** Status of a success and the schema of its body (null: no body, e.g. 204). */
  successStatus: number;
  response: JsonSchema | null;
  handle(input: RouteInput<unknown, unknown, unknown>): Promise<unknown>;
}

/** Declares a route with typed input; the schemas are what make the casts below true. */
export function route<P = Record<string, never>, Q = Record<string, never>, B = undefined>(
  definition: Omit<AdminRoute, 'handle'> & { handle(input: RouteInput<P, Q, B>): Promise<unknown> },
): AdminRoute {
  return definition as AdminRoute;
}

/** The Fastify schema of a route: request validation and the success answer's serializer. */
export function fastifySchemaOf(adminRoute: AdminRoute): FastifySchema {
  const schema: FastifySchema = {};
  if (adminRoute.params) schema.params = adminRoute.params;
  if (adminRoute.querystring) schema.querystring = adminRoute.querystring;
  if (adminRoute.body) schema.body = adminRoute.body;
  if (adminRoute.response) schema.response = { [adminRoute.successStatus]: adminRoute.response };
  return schema;
}

/** Runs a route's handler with its validated input and answers with its success status. */
export async function runRoute(adminRoute: AdminRoute, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const result = await adminRoute.handle({ params: request.params, query: request.query, body: request.body, reply });
  reply.code(adminRoute.successStatus);
  return adminRoute.response === null ? reply.send() : result;
}

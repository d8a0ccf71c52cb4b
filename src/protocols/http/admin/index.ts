import type { FastifyInstance, FastifySchemaValidationError } from 'fastify';
import type { BrokerWithQueues } from '../../../broker/types.ts';
import { ErrorCode, FerryError } from '../../../common/errors.ts';
import type { Logger } from '../../../common/logger.ts';
import type { HttpPlugin } from '../server.ts';
import { type AdminLimits, DEFAULT_ADMIN_LIMITS } from './limits.ts';
import { OPENAPI_PATH, openApiDocument } from './openapi.ts';
import { type AdminRoute, fastifySchemaOf, runRoute } from './route.ts';
import { deadLetterRoutes } from './routes/dead-letters.ts';
import { groupRoutes } from './routes/groups.ts';
import { recordRoutes } from './routes/records.ts';
import { subscriptionRoutes } from './routes/subscriptions.ts';
import { topicRoutes } from './routes/topics.ts';

export type { AdminLimits } from './limits.ts';
export { DEFAULT_ADMIN_LIMITS } from './limits.ts';

export interface AdminRoutesOptions {
  broker: BrokerWithQueues;
  logger: Logger;
  limits?: Partial<AdminLimits>;
}

/** Version of the admin API's contract (the OpenAPI `info.version`), not of the package. */
export const ADMIN_API_VERSION = '1.0.0';

/** Every admin route, built for these limits (the schemas carry the bounds). */
export function adminRouteTable(broker: BrokerWithQueues, limits: AdminLimits): AdminRoute[] {
  return [
    ...topicRoutes(broker),
    ...recordRoutes(broker, limits),
    ...groupRoutes(broker),
    ...subscriptionRoutes(broker),
    ...deadLetterRoutes(broker, limits),
  ];
}

/**
 * The admin API (docs/http-api.md): JSON endpoints under `/api/` over the broker's own calls. The
 * adapter holds no broker logic: it validates input with each route's schema (400 with the JSON
 * error body), calls the broker, and FerryErrors become statuses through the server's one table.
 */
export function adminRoutes(options: AdminRoutesOptions): HttpPlugin {
  const limits: AdminLimits = { ...DEFAULT_ADMIN_LIMITS, ...options.limits };
  const log = options.logger.child({ component: 'admin-api' });
  const routes = adminRouteTable(options.broker, limits);
  const document = JSON.stringify(openApiDocument(routes, { title: 'Ferry admin API', version: ADMIN_API_VERSION }));
  return (app: FastifyInstance) => {
    for (const adminRoute of routes) {
      app.route({
        method: adminRoute.method,
        url: adminRoute.url,
        schema: fastifySchemaOf(adminRoute),
        schemaErrorFormatter: formatValidationErrors,
        handler: (request, reply) => runRoute(adminRoute, request, reply),
      });
    }
    app.get(OPENAPI_PATH, (_request, reply) => reply.type('application/json; charset=utf-8').send(document));
    log.debug({ routes: routes.length }, 'admin api routes added');
  };
}

/**
 * Ajv's first error as one sentence naming the field (`querystring/limit must be <= 1000`). An
 * unknown field fails `not: {}` (see schemas.ts), which Ajv words "must NOT be valid": say what
 * it means instead.
 */
function formatValidationErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const first = errors[0];
  if (first === undefined) return new FerryError(ErrorCode.INVALID_REQUEST, `invalid ${dataVar}`);
  const where = `${dataVar}${first.instancePath}`;
  const message = first.keyword === 'not' ? `${where} is not a known field` : `${where} ${first.message ?? 'is invalid'}`;
  return new FerryError(ErrorCode.INVALID_REQUEST, message, { field: where });
}

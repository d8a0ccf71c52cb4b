import type { FastifyInstance } from 'fastify';
import type { AlertManager, SilenceInput } from '../../observability/alerts/index.ts';
import { errorBody, type HttpPlugin } from './server.ts';

export interface AlertRoutesOptions {
  alerts: AlertManager;
}

const SILENCE_BODY = {
  type: 'object',
  required: ['matchers'],
  additionalProperties: false,
  properties: {
    matchers: {
      type: 'array',
      minItems: 1,
      maxItems: 32,
      items: {
        type: 'object',
        required: ['name', 'value'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 128 },
          value: { type: 'string', maxLength: 256 },
          isRegex: { type: 'boolean' },
          isEqual: { type: 'boolean' },
        },
      },
    },
    endsAt: { type: 'string', maxLength: 64 },
    durationMs: { type: 'integer', minimum: 1 },
    createdBy: { type: 'string', maxLength: 1024 },
    comment: { type: 'string', maxLength: 1024 },
  },
} as const;

/**
 * The alerting API (docs/alerts.md): `GET /api/alerts` lists every rule with its state and
 * instances, and the active silences; `POST /api/silences` adds one (201 with the silence);
 * `DELETE /api/silences/:id` expires one early (404 when no active silence has that id). Bad
 * bodies get 400 with the JSON error body from the server's error handler.
 */
export function alertRoutes(options: AlertRoutesOptions): HttpPlugin {
  const { alerts } = options;
  return (app: FastifyInstance) => {
    app.get('/api/alerts', async () => alerts.snapshot());
    app.get('/api/silences', async () => ({ silences: alerts.snapshot().silences }));
    app.post<{ Body: SilenceInput }>('/api/silences', { schema: { body: SILENCE_BODY } }, async (request, reply) => {
      // FerryError INVALID_REQUEST from the checks (past endsAt, bad regex) maps to 400.
      const silence = alerts.addSilence(request.body);
      return reply.code(201).send(silence);
    });
    app.delete<{ Params: { id: string } }>('/api/silences/:id', async (request, reply) => {
      if (!alerts.expireSilence(request.params.id)) {
        return reply.code(404).send(errorBody('SILENCE_NOT_FOUND', `no active silence with id ${request.params.id}`));
      }
      return reply.code(204).send();
    });
  };
}

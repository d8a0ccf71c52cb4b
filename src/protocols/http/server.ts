import { createServer } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { ErrorCode, isFerryError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { httpStatusFor } from './error-status.ts';

/** Where the process is in its life, as `/readyz` reports it. */
export type Readiness = 'starting' | 'ready' | 'stopping';

/**
 * What each HTTP feature (metrics, admin API, alerts) hands the server: a function that adds its
 * routes to the one Fastify app. Plugins run in list order before the server listens, on the
 * root scope, so they share its JSON error handler.
 */
export type HttpPlugin = (app: FastifyInstance) => void | Promise<void>;

export interface HttpServer {
  readonly port: number;
  setReadiness(readiness: Readiness): void;
  /**
   * Adds routes after the start, for plugins that need the open broker. Resolves once they
   * answer; the probes and earlier plugins answer throughout.
   */
  addPlugins(plugins: HttpPlugin[]): Promise<void>;
  close(): Promise<void>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  logger: Logger;
  plugins: HttpPlugin[];
  /** Largest request body accepted (413 above it). Default 1 MiB, Fastify's own. */
  maxBodyBytes?: number;
}

/** The JSON body of every error answer: `{ "error": { "code", "message" } }`. */
export interface HttpErrorBody {
  error: { code: string; message: string };
}

export const DEFAULT_HTTP_MAX_BODY_BYTES = 1024 * 1024;

/**
 * The broker's one HTTP listener. `/healthz` answers 200 while the process runs (liveness);
 * `/readyz` answers 200 only once storage and broker are open and every listener is bound, and
 * 503 while starting or shutting down, so a load balancer stops sending work before we stop.
 * Every other route comes from a plugin. Errors answer as JSON with a status from the one
 * FerryError table (error-status.ts); a route that throws never takes the broker down.
 *
 * The port binds at once (so probes answer during a long log recovery), yet most plugins need
 * the open broker, and Fastify takes no routes once it is ready. So the listening socket is
 * ours and forwards each request to the current Fastify app; `addPlugins` builds a new app
 * with every plugin so far and swaps it in, which is atomic for requests.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  let readiness: Readiness = 'starting';
  const log = options.logger.child({ component: 'http' });
  const plugins: HttpPlugin[] = [...options.plugins];
  const probes: HttpPlugin = (app) => {
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      if (readiness !== 'ready') return reply.code(503).send({ status: readiness });
      return { status: 'ready' };
    });
  };
  let current = await buildApp([probes, ...plugins], options, log);
  const server = createServer((request, response) => current.routing(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log.info({ host: options.host, port }, 'http listening');
  let closing: Promise<void> | null = null;
  return {
    port,
    setReadiness(next) {
      readiness = next;
    },
    async addPlugins(more) {
      plugins.push(...more);
      const previous = current;
      current = await buildApp([probes, ...plugins], options, log);
      await previous.close();
    },
    close() {
      closing ??= (async () => {
        // Keep-alive connections (scrapers, dashboards) would hold close() open forever.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await current.close();
      })();
      return closing;
    },
  };
}

async function buildApp(plugins: HttpPlugin[], options: HttpServerOptions, log: Logger): Promise<FastifyInstance> {
  // fastify's own request logging is off: probes and scrapes every few seconds would drown the
  // log. The server it is given is never listened on: requests arrive through `routing`.
  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: options.maxBodyBytes ?? DEFAULT_HTTP_MAX_BODY_BYTES,
    serverFactory: (handler) => createServer(handler),
  });
  app.setErrorHandler((error: FastifyError, request, reply) => sendError(reply, error, log, request.url));
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`)),
  );
  for (const plugin of plugins) await plugin(app);
  await app.ready();
  return app;
}

export function errorBody(code: string, message: string): HttpErrorBody {
  return { error: { code, message } };
}

function sendError(reply: FastifyReply, error: FastifyError | Error, log: Logger, url: string): FastifyReply {
  if (isFerryError(error)) {
    const status = httpStatusFor(error.code);
    if (status >= 500) log.warn({ url, code: error.code, err: error.message }, 'http request failed');
    return reply.code(status).send(errorBody(error.code, error.message));
  }
  // Fastify's own 4xx (schema validation, bad JSON, body too large, wrong content type).
  const statusCode = (error as FastifyError).statusCode;
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    const code = statusCode === 413 ? ErrorCode.FRAME_TOO_LARGE : ErrorCode.INVALID_REQUEST;
    return reply.code(statusCode).send(errorBody(code, error.message));
  }
  log.error({ url, err: error.message, stack: error.stack }, 'http route threw');
  return reply.code(500).send(errorBody(ErrorCode.UNKNOWN_SERVER_ERROR, 'internal error (see the broker log)'));
}

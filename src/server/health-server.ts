import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../common/logger.ts';

/** Where the process is in its life, as `/readyz` reports it. */
export type Readiness = 'starting' | 'ready' | 'stopping';

export interface HealthServer {
  readonly port: number;
  setReadiness(readiness: Readiness): void;
  close(): Promise<void>;
}

/**
 * The HTTP listener of the probes. `/healthz` answers 200 while the process runs (liveness);
 * `/readyz` answers 200 only once storage and broker are open and every listener is bound, and
 * 503 while starting or shutting down, so a load balancer stops sending work before we stop.
 */
export async function startHealthServer(options: { host: string; port: number; logger: Logger }): Promise<HealthServer> {
  let readiness: Readiness = 'starting';
  // fastify's own request logging is off: probes every few seconds would drown the log.
  const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (readiness !== 'ready') return reply.code(503).send({ status: readiness });
    return { status: 'ready' };
  });
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  options.logger.info({ host: options.host, port }, 'http listening (/healthz, /readyz)');
  return {
    port,
    setReadiness(next) {
      readiness = next;
    },
    close: () => app.close(),
  };
}

import type { FerryMetrics } from '../../observability/metrics/metrics.ts';
import type { HttpPlugin } from './server.ts';

/**
 * `GET /metrics`: Prometheus text exposition (format 0.0.4) of the broker's registry. State
 * gauges are collected at this moment from the broker, so a scrape costs a walk over topics,
 * groups and subscriptions, and nothing between scrapes. No route when metrics are off.
 */
export function metricsRoute(options: { metrics: FerryMetrics }): HttpPlugin {
  return (app) => {
    if (!options.metrics.isEnabled) return;
    app.get('/metrics', async (_request, reply) => {
      const { contentType, body } = await options.metrics.scrape();
      return reply.header('content-type', contentType).send(body);
    });
  };
}

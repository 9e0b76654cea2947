/** Records every request's duration and serves the metrics at GET /metrics, in Prometheus text format. */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ServiceMetrics } from '../metrics.js';

async function metricsPlugin(app: FastifyInstance, options: { metrics: ServiceMetrics }): Promise<void> {
  const { metrics } = options;
  // A callback-style hook, not an async one: no promise per request on the hot path.
  app.addHook('onResponse', (request, reply, done) => {
    // The route's pattern, not the URL: /adders/:n/apply is one series, whatever n is.
    metrics.observeRequest(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}

export default fp(metricsPlugin, { name: 'babyjit-metrics', fastify: '5.x' });

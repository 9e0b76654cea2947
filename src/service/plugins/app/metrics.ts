/**
 * Names every request's route for the request histogram, and serves the metrics at GET /metrics, in
 * Prometheus text format. Everything else about metrics is observability/metrics.ts's: the registry, and
 * the server that times each request (app.ts hands Fastify its serverFactory when metrics are on).
 *
 * The route label reaches Node's response two ways, neither of which costs a hook on the way of a request
 * that succeeds: every route's handler is wrapped, when the route is added, to name its route first; and
 * an onError hook, which Fastify runs only for failures, names it for requests that fail before their
 * handler runs (a body or parameter that fails validation, load shedding, the compile quota). A request
 * that no route matched keeps the label `unmatched`.
 */
import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import fp from 'fastify-plugin';
import { nameRoute, type ServiceMetrics, UNMATCHED_ROUTE } from '../../../observability/metrics.js';
import { limitQueuedLargeAnswers } from '../../connection-guard.js';
import { NoQuery } from '../../schemas/common.js';

async function metricsPlugin(app: FastifyInstance, options: { metrics: ServiceMetrics }): Promise<void> {
  const { metrics } = options;

  // Registered as a plugin without encapsulation: this sees every route added after it, which app.ts
  // makes every route there is (test/routes/metrics.test.ts checks each route's label).
  app.addHook('onRoute', (route) => {
    const pattern = route.url;
    const handler = route.handler as RouteHandlerMethod;
    route.handler = function namedHandler(this: FastifyInstance, request, reply) {
      nameRoute(reply.raw, pattern);
      return handler.call(this, request, reply);
    };
  });
  app.addHook('onError', (request, reply, _error, done) => {
    nameRoute(reply.raw, request.routeOptions.url ?? UNMATCHED_ROUTE);
    done();
  });

  app.get(
    '/metrics',
    { onRequest: limitQueuedLargeAnswers, schema: { hide: true, querystring: NoQuery } },
    async (_request, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
}

export default fp(metricsPlugin, { name: 'babyjit-metrics', fastify: '5.x' });

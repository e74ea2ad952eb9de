import client from 'prom-client';

/** One registry per process, exposed at /metrics for Prometheus (and the Dapr dashboard's neighbours). */
export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

export const httpDuration = new client.Histogram({
  name: 'http_server_request_duration_seconds',
  help: 'Time to answer an HTTP request, by route template and status.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export function setServiceLabel(service: string): void {
  registry.setDefaultLabels({ service });
}

/**
 * The order service's business metrics, for the rules in charts/dapr-commerce/files/prometheus:
 *   orders_moved_total{to}          every status change, counted where it commits (checkout
 *                                   success ratio = paid / (paid + failed));
 *   orders_open{status}             orders not at rest (domain/status.ts, OPEN_STATUSES) now,
 *                                   read from the store on each scrape;
 *   orders_open_oldest_seconds{status}  how long the oldest of them has not moved (an order
 *                                   stuck past its deadline shows here before anyone calls).
 */
import client from 'prom-client';
import { registry } from '../../../../kernel/http/metrics';
import { OPEN_STATUSES, ORDER_STATUSES, type OrderStatus } from '../domain/status';

export const ordersMoved = new client.Counter({
  name: 'orders_moved_total',
  help: 'Order status changes, by the status moved to.',
  labelNames: ['to'] as const,
  registers: [registry],
});
// Every series from the start (at 0): a rate over a series that appears only with its first
// order would miss that order, and an alert over a missing series never fires.
for (const to of ORDER_STATUSES) ordersMoved.inc({ to }, 0);

export interface OpenOrders {
  status: OrderStatus;
  count: number;
  oldest_seconds: number;
}

/** Registers the two gauges read from `read` on scrape; a store that does not answer leaves them empty (and `up` says why). */
export function openOrdersGauges(read: () => Promise<OpenOrders[]>): void {
  let pending: Promise<OpenOrders[]> | undefined;
  // Both gauges are collected in one scrape: one query serves both.
  const rows = () =>
    (pending ??= read()
      .catch(() => [])
      .finally(() => {
        setTimeout(() => (pending = undefined), 1000).unref();
      }));
  for (const [name, help, pick] of [
    ['orders_open', 'Orders not at rest (the saga or a reversal still owes them a step), by status.', (r: OpenOrders) => r.count],
    ['orders_open_oldest_seconds', 'Seconds since the longest-unchanged order not at rest last moved, by status.', (r: OpenOrders) => r.oldest_seconds],
  ] as const) {
    registry.removeSingleMetric(name);
    new client.Gauge({
      name,
      help,
      labelNames: ['status'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const status of OPEN_STATUSES) this.set({ status }, 0);
        for (const row of await rows()) this.set({ status: row.status }, pick(row));
      },
    });
  }
}

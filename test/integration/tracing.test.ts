/**
 * One checkout, one trace: the shopper's POST /orders (sent with its own W3C traceparent, as a
 * storefront's tracer would) yields one trace in the local Jaeger (scripts/infra/jaeger.sh, fed
 * over OTLP by every sidecar) that
 * spans the gateway, the order service, and what the saga does later for that order — the
 * stock reservation (inventory), the coupon (promotions), the payment intent (payment) — because
 * each app passes the context on (kernel/trace.ts) and the saga's activities run in the context
 * stored with the order.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { api, signUp, signUpAdmin } from '../support/gateway';
import { eventually } from '../support/processes';
import { BERLIN, productInStock } from '../support/shop';
import { paymentWebhook } from '../support/stripe';

const JAEGER = `http://${process.env.JAEGER_HOST ?? '127.0.0.1'}:${process.env.JAEGER_UI_PORT ?? '16686'}`;
const tag = randomUUID().slice(0, 6).toUpperCase();

/** Jaeger's query API (/api/traces/<id>): spans name their process, processes their service. */
interface JaegerTrace {
  spans: { operationName: string; processID: string }[];
  processes: Record<string, { serviceName: string }>;
}
interface Span {
  service: string;
  name: string;
}

async function spansOf(traceId: string): Promise<Span[] | undefined> {
  const res = await fetch(`${JAEGER}/api/traces/${traceId}`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) return undefined; // 404 until the first span of the trace has arrived
  const { data } = (await res.json()) as { data: JaegerTrace[] };
  return data.flatMap((t) => t.spans.map((s) => ({ service: t.processes[s.processID]?.serviceName ?? '', name: s.operationName })));
}

test('a checkout is one trace across gateway, order, inventory, promotions and payment', async () => {
  const admin = (await signUpAdmin('trace-admin')).access;
  const sku = `TR${tag}-MUG`;
  const productId = await productInStock(admin, sku, `Traced mug ${tag}`, '9.00', 5);
  const code = `TRACE${tag}`;
  expect((await api('POST', '/promotions', { token: admin, body: { code, name: `Trace ${tag}`, condition: { currency: 'USD' }, action: { type: 'percentage', basis_points: 500 } } })).status).toBe(201);
  const shopper = await signUp('trace-shopper');

  const traceId = randomBytes(16).toString('hex');
  const placed = await api('POST', '/orders', {
    token: shopper.access,
    headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, 'idempotency-key': randomUUID() },
    body: { items: [{ product_id: productId, quantity: 1 }], coupon_codes: [code], shipping_address: BERLIN },
  });
  expect({ status: placed.status, body: placed.status === 202 ? undefined : placed.body }).toEqual({ status: 202, body: undefined });
  const read = async () => (await api('GET', `/orders/${placed.body.id}`, { token: shopper.access })).body;
  const awaiting = await eventually(async () => ((await read()).status === 'awaiting_payment' ? read() : undefined), 60_000, 'the order awaiting payment');
  await paymentWebhook(awaiting, 'succeeded');
  await eventually(async () => (await read()).status === 'paid', 60_000, 'the order paid');

  // Sidecars export in batches: wait until every service has reported its part.
  const wanted = ['gateway', 'order', 'inventory', 'promotions', 'payment'];
  const services = await eventually(
    async () => {
      const spans = await spansOf(traceId);
      if (!spans) return undefined;
      const found = new Set(spans.map((s) => s.service));
      return wanted.every((s) => found.has(s)) ? found : undefined;
    },
    60_000,
    `spans of ${wanted.join(', ')} in trace ${traceId}`,
  ).catch(async (err) => {
    const spans = (await spansOf(traceId).catch(() => undefined)) ?? [];
    throw new Error(`${(err as Error).message}; the trace has: ${[...new Set(spans.map((s) => `${s.service} ${s.name}`))].join(' | ') || 'nothing'}`);
  });
  expect([...services].filter((s) => wanted.includes(s)).sort()).toEqual([...wanted].sort());
});

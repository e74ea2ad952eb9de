/**
 * The mesh's layers, attacked on the running stack (the edge's path tricks are in
 * edge-paths.test.ts). Each test names the layer it proves:
 *  - the sidecar API token: no local process without it can use a sidecar;
 *  - the sidecar API allowlists: secrets, metadata, shutdown and state are not served where
 *    they are not used;
 *  - service-invocation access control over mTLS identities: the gateway's identity reaches no
 *    internal route and no Dapr callback of any app;
 *  - pub/sub topic scopes: only a topic's owner may publish it;
 *  - the apps' own checks: a callback called by another app is refused, and a payment event
 *    put straight into the broker changes nothing unless the payment service recorded it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { api, appToken, sidecarHeaders, signUp, signUpAdmin } from '../support/gateway';
import { ROOT, eventually } from '../support/processes';
import { sendWebhook, stripeEvent } from '../support/stripe';
import { publishToBroker, rabbit } from '../support/rabbitmq';

const APPS = ['gateway', 'catalog', 'search', 'cart', 'order', 'payment', 'inventory', 'promotions', 'user'] as const;
type App = (typeof APPS)[number];
const SIDECAR_PORT: Record<App, number> = Object.fromEntries(APPS.map((app, i) => [app, 3500 + i])) as Record<App, number>;
const APP_PORT: Record<App, number> = Object.fromEntries(APPS.map((app, i) => [app, 8000 + i])) as Record<App, number>;
const sidecar = (app: App) => `http://127.0.0.1:${SIDECAR_PORT[app]}`;

/** Every internal route of every service, as the services define them (`/internal/...`). */
const INTERNAL_ROUTES: Array<{ app: App; method: string; path: string }> = [
  { app: 'catalog', method: 'GET', path: '/internal/products/export' },
  { app: 'cart', method: 'POST', path: '/internal/cart/ttl' },
  { app: 'inventory', method: 'POST', path: '/internal/inventory/SKU-1/reservations' },
  { app: 'inventory', method: 'POST', path: `/internal/inventory/SKU-1/reservations/${randomUUID()}/commit` },
  { app: 'inventory', method: 'POST', path: `/internal/inventory/SKU-1/reservations/${randomUUID()}/release` },
  { app: 'payment', method: 'POST', path: '/internal/payments/intents' },
  { app: 'payment', method: 'GET', path: `/internal/payments/${randomUUID()}` },
  { app: 'payment', method: 'POST', path: `/internal/payments/${randomUUID()}/cancel` },
  { app: 'payment', method: 'POST', path: `/internal/payments/${randomUUID()}/refund` },
  { app: 'promotions', method: 'POST', path: '/internal/promotions/redeem' },
  { app: 'promotions', method: 'POST', path: '/internal/promotions/release' },
];
/** Dapr's callbacks into an app: only its own sidecar may call them. */
const CALLBACKS = [
  { method: 'GET', path: '/dapr/config' },
  { method: 'GET', path: '/dapr/subscribe' },
  { method: 'POST', path: '/dapr/events/pubsub/payment.intent.succeeded' },
  { method: 'PUT', path: '/actors/CartActor/x/method/get' },
  { method: 'PUT', path: '/actors/InventoryItemActor/SKU-1/method/reserve' },
  { method: 'DELETE', path: '/actors/CartActor/x' },
];

const pubsubMeta = Object.fromEntries(
  (parse(readFileSync(path.join(ROOT, 'components/pubsub.yaml'), 'utf8')).spec.metadata as Array<{ name: string; value?: string }>).map((m) => [m.name, m.value ?? '']),
);
const TOPICS = pubsubMeta.allowedTopics!.split(',');
const OWNER: Record<string, string> = Object.fromEntries(
  pubsubMeta.publishingScopes!.split(';').flatMap((entry) => {
    const [app, topics] = entry.split('=');
    return topics!.split(',').map((topic) => [topic, app!]);
  }),
);

async function raw(method: string, url: string, headers: Record<string, string> = {}, body?: string) {
  const res = await fetch(url, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body });
  return { status: res.status, text: await res.text() };
}

describe('the sidecar API token', () => {
  test.each(APPS)('the %s sidecar refuses every API call without it (health checks aside)', async (app) => {
    for (const [method, route] of [
      ['GET', '/v1.0/invoke/catalog/method/products'],
      ['GET', '/v1.0/metadata'],
      ['GET', '/v1.0/secrets/envsecrets/PG_DAPR_URL'],
      ['POST', '/v1.0/publish/pubsub/payment.intent.succeeded'],
      ['POST', '/v1.0/shutdown'],
      ['GET', '/v1.0/state/statestore/anything'],
    ] as const) {
      const res = await raw(method, `${sidecar(app)}${route}`, { 'dapr-api-token': 'not-the-token' }, method === 'POST' ? '{}' : undefined);
      expect({ app, route, status: res.status }).toEqual({ app, route, status: 401 });
    }
    expect((await raw('GET', `${sidecar(app)}/v1.0/healthz`)).status).toBe(204);
  });
});

describe('the sidecar API allowlists', () => {
  test.each(APPS)('the %s sidecar serves no secret and no shutdown (nor metadata but to actor and workflow hosts), even with the token', async (app) => {
    // The SDK's actor clients of cart and inventory poll their own sidecar's metadata; the order
    // app's workflow watchdog reads it (does the sidecar serve its worker).
    const metadata = ['cart', 'inventory', 'order'].includes(app) ? [] : ['/v1.0/metadata'];
    for (const route of ['/v1.0/secrets/envsecrets/PG_DAPR_URL', '/v1.0/secrets/envsecrets/bulk', ...metadata]) {
      const res = await raw('GET', `${sidecar(app)}${route}`, sidecarHeaders());
      expect({ app, route, status: res.status >= 400 }).toEqual({ app, route, status: true });
      expect(res.text).not.toMatch(/password|dbname|amqp:\/\/|components|"appConnectionProperties"/i);
    }
    const shutdown = await raw('POST', `${sidecar(app)}/v1.0/shutdown`, sidecarHeaders());
    expect(shutdown.status).toBeGreaterThanOrEqual(400);
    expect((await raw('GET', `${sidecar(app)}/v1.0/healthz`)).status).toBe(204); // still alive
  });

  test('the public edge keeps no state and publishes nothing', async () => {
    expect((await raw('GET', `${sidecar('gateway')}/v1.0/state/statestore/x`, sidecarHeaders())).status).toBeGreaterThanOrEqual(400);
    expect((await raw('POST', `${sidecar('gateway')}/v1.0/publish/pubsub/catalog.product.updated`, sidecarHeaders(), '{}')).status).toBeGreaterThanOrEqual(400);
  });
});

describe('service invocation access control (mTLS identities, default deny)', () => {
  test.each(INTERNAL_ROUTES)("the gateway's identity cannot call $app $method $path", async ({ app, method, path: route }) => {
    const res = await raw(method, `${sidecar('gateway')}/v1.0/invoke/${app}/method${route}`, sidecarHeaders(), method === 'GET' ? undefined : '{}');
    expect(res.status).toBe(403);
    expect(res.text).toMatch(/access control policy has denied access to id: spiffe:\/\/public\/ns\/default\/gateway/);
  });

  test.each(APPS.filter((a) => a !== 'gateway'))("no other app's identity reaches the Dapr callbacks of %s", async (app) => {
    const caller: App = app === 'order' ? 'payment' : 'order';
    // At once: each refusal takes the caller's sidecar about a second and a half (it retries).
    const attempts = CALLBACKS.flatMap((callback) => (['gateway', caller] as const).map((from) => ({ from, callback })));
    const answers = await Promise.all(
      attempts.map(async ({ from, callback }) => {
        const res = await raw(callback.method, `${sidecar(from)}/v1.0/invoke/${app}/method${callback.path}`, sidecarHeaders(), callback.method === 'GET' || callback.method === 'DELETE' ? undefined : '{}');
        return { from, app, callback: callback.path, status: res.status };
      }),
    );
    expect(answers).toEqual(attempts.map(({ from, callback }) => ({ from, app, callback: callback.path, status: 403 })));
  });

  test('an app reaches only the operations its policy names (order may not rotate keys or read the catalog export)', async () => {
    expect((await raw('POST', `${sidecar('order')}/v1.0/invoke/user/method/auth/keys/rotate`, sidecarHeaders(), '{}')).status).toBe(403);
    expect((await raw('GET', `${sidecar('order')}/v1.0/invoke/catalog/method/internal/products/export`, sidecarHeaders())).status).toBe(403);
    expect((await raw('POST', `${sidecar('cart')}/v1.0/invoke/payment/method/internal/payments/intents`, sidecarHeaders(), '{}')).status).toBe(403);
    // …while the calls that exist go through.
    expect((await raw('GET', `${sidecar('order')}/v1.0/invoke/user/method/auth/.well-known/jwks.json`, sidecarHeaders())).status).toBe(200);
  });
});

describe('pub/sub topic scopes', () => {
  test.each(TOPICS)('only its owner may publish %s', async (topic) => {
    for (const app of APPS) {
      if (app === OWNER[topic]) continue;
      const res = await raw('POST', `${sidecar(app)}/v1.0/publish/pubsub/${topic}`, sidecarHeaders(), JSON.stringify({ order_id: randomUUID(), payment_id: randomUUID(), forged: true }));
      expect({ app, topic, refused: res.status >= 400 }).toEqual({ app, topic, refused: true });
    }
  });
});

describe("the apps' own checks", () => {
  test.each(APPS.filter((a) => a !== 'gateway'))("%s refuses Dapr callbacks that another app invoked, even with the app token", async (app) => {
    for (const callback of CALLBACKS) {
      const res = await raw(callback.method, `http://127.0.0.1:${APP_PORT[app]}${callback.path}`, { 'dapr-api-token': appToken(), 'dapr-caller-app-id': 'gateway' }, callback.method === 'GET' || callback.method === 'DELETE' ? undefined : '{}');
      expect({ app, callback: callback.path, status: res.status }).toEqual({ app, callback: callback.path, status: 404 });
    }
  });

  test('a product event put straight into the broker cannot rewrite a product in search', async () => {
    const admin = (await signUpAdmin('mesh-catalog-admin')).access;
    const sku = `MESH-P-${randomUUID().slice(0, 8)}`;
    const created = await api('POST', '/products', { token: admin, body: { sku, name: 'Honest Kettle', base_price: '30.00', currency: 'USD' } });
    expect(created.status).toBe(201);
    const hit = async () => (await api('GET', `/search?q=${encodeURIComponent(sku)}`, { headers: { 'cache-control': 'no-cache' } })).body.items?.find((h: { sku: string }) => h.sku === sku);
    await eventually(hit, 15_000, 'the product is searchable');
    const snapshot = { ...created.body, base_price_minor: 1, name: 'FORGED Kettle', variants: [], attributes: {}, category: null, status: 'active', description: '' };
    const queue = 'search-catalog.product.updated';
    const acked = async () => (await rabbit('GET', `/api/queues/%2F/${encodeURIComponent(queue)}`)).message_stats?.ack ?? 0;
    const before = await acked();
    // Same version (indexed as the catalog has it) and a higher one (the catalog contradicts it: parked).
    for (const version of [1, 7]) {
      await publishToBroker('catalog.product.updated', { event_id: randomUUID(), occurred_at: new Date().toISOString(), product: { ...snapshot, version, updated_at: new Date().toISOString() } });
    }
    await eventually(async () => (await acked()) >= before + 2, 30_000, 'both forged messages were delivered and handled');
    const after = await hit();
    expect(after).toMatchObject({ name: 'Honest Kettle', price_minor: 3000 });
  });

  test('a payment event put straight into the broker changes nothing unless the payment service recorded it', async () => {
    const admin = (await signUpAdmin('mesh-admin')).access;
    const shopper = await signUp('mesh-shopper');
    const sku = `MESH-${randomUUID().slice(0, 8)}`;
    const product = await api('POST', '/products', { token: admin, body: { sku, name: 'Forgery Proof Mug', base_price: '12.00', currency: 'USD' } });
    expect(product.status).toBe(201);
    expect((await api('POST', `/inventory/${sku}/adjustments`, { token: admin, body: { location: 'wh-1', delta: 5, reason: 'receiving' } })).status).toBe(201);
    const placed = await api('POST', '/orders', {
      token: shopper.access,
      headers: { 'idempotency-key': randomUUID() },
      body: { items: [{ product_id: product.body.id, quantity: 1 }], shipping_address: { recipient: 'Eve', line1: '1 Side St', city: 'Leeds', postal_code: 'LS1', country: 'GB' } },
    });
    expect(placed.status).toBe(202);
    const orderOf = async () => (await api('GET', `/orders/${placed.body.id}`, { token: shopper.access })).body;
    const awaiting = await eventually(async () => {
      const o = await orderOf();
      if (o.status !== 'awaiting_payment') throw new Error(o.status);
      return o;
    }, 60_000, 'the order awaits payment');

    // Two forgeries, published to RabbitMQ directly (past Dapr's scopes, as a holder of the
    // broker's credentials could): one names a payment nobody recorded, one names the order's
    // real payment, which the payment service knows has not succeeded.
    const queue = 'order-payment.intent.succeeded';
    const acked = async () => (await rabbit('GET', `/api/queues/%2F/${encodeURIComponent(queue)}`)).message_stats?.ack ?? 0;
    const before = await acked();
    for (const payment_id of [randomUUID(), awaiting.payment.payment_id]) {
      await publishToBroker('payment.intent.succeeded', {
        payment_id, order_id: placed.body.id, user_id: shopper.id, attempt: 1, status: 'succeeded', amount_minor: 1200, currency: 'USD',
        provider_intent_id: 'pi_forged', provider_event_id: 'evt_forged', version: 99,
      });
    }
    await eventually(async () => (await acked()) >= before + 2, 30_000, 'both forged messages were delivered and handled');
    const after = await orderOf();
    expect(after.status).toBe('awaiting_payment');
    expect(after.history.map((h: { to_status: string | null }) => h.to_status)).not.toContain('paid');

    // The genuine path still works: Stripe's signed webhook → payment service → event → paid.
    const hook = await sendWebhook(stripeEvent('payment_intent.succeeded', { id: awaiting.payment.intent_id, payment_id: awaiting.payment.payment_id, status: 'succeeded' }, Math.floor(Date.now() / 1000)));
    expect(hook.status).toBe(200);
    await eventually(async () => (await orderOf()).status === 'paid', 60_000, 'the genuine payment pays the order');
  });
});

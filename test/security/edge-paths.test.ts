/**
 * The attack suite's edge part, against the running stack: path tricks in every encoding, in
 * front of every public prefix, aimed at the sidecars' own API (metadata, secrets, publish,
 * shutdown), other apps' Dapr callbacks and internal routes. Each is sent raw over a TCP socket
 * (fetch would resolve the dot-segments itself, node:http refuses some bytes), and every answer
 * must be the gateway's own refusal: 400, 404, 405 or 414 with a problem+json body that holds
 * nothing a sidecar, a callback or an internal route would have said.
 */
import { GATEWAY } from '../support/gateway';
import { rawRequest, type RawResponse } from '../../apps/gateway/test/support/raw-http';
import { matchRoute } from '../../apps/gateway/src/domain/routing';

const PORT = Number(new URL(GATEWAY).port || 80);
const HOST = new URL(GATEWAY).hostname;
const CONCURRENCY = 8;

const PREFIXES = ['/products', '/categories', '/search', '/cart', '/orders', '/payments', '/inventory', '/promotions', '/auth', '/users'];
/** Where a trick wants to land: the sidecar's API, other apps' callbacks and internal routes, probes of other apps. */
const TARGETS = [
  'v1.0/metadata', 'v1.0/secrets/envsecrets/PG_DAPR_URL', 'v1.0/secrets/envsecrets/bulk', 'v1.0/publish/pubsub/catalog.product.updated', 'v1.0/shutdown',
  'v1.0/state/statestore/x', 'v1.0/invoke/catalog/method/internal/products/export', 'dapr/subscribe', 'dapr/config', 'dapr/events/pubsub/catalog.product.updated',
  'actors/CartActor/x/method/get', 'internal/products/export', 'internal/products/changes', 'healthz', 'readyz',
];
/** One level up, in every spelling that has got past a path check somewhere. */
const UP = [
  '..', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '.%2E', '%2E.', '%c0%ae%c0%ae', '%C0%AE.', '%e0%80%ae%e0%80%ae', '%252e%252e',
  '..;', '..;x=1', '..%3b', '..%3B', '..%00', '..%0a', '..%09', '..%20', '...', '.',
];
/** Separators after the climb: plain, encoded slash, backslash raw and encoded, overlong slash, doubled, path parameter. */
const SEPARATORS = ['/', '%2f', '%2F', '\\', '%5c', '%5C', '%c0%af', '//', ';/'];

/** What no answer may hold: metadata, secrets, connection strings, subscriptions, actor config, Dapr's own errors. */
const LEAKS = /PG_DAPR_URL|postgres:\/\/|amqp:\/\/|redis:\/\/|"components"|"entities"|pubsubname|"actors"|"subscriptions"|errorCode|ERR_[A-Z_]+|"data":|"items":|"id":/;

function methodFor(target: string): string {
  if (target.startsWith('v1.0/publish') || target.startsWith('v1.0/shutdown') || target.startsWith('dapr/events') || target.startsWith('v1.0/state')) return 'POST';
  if (target.startsWith('actors/')) return 'PUT';
  return 'GET';
}

interface Probe {
  method: string;
  target: string;
}

function corpus(): Probe[] {
  const probes: Probe[] = [];
  for (const prefix of PREFIXES) {
    for (const target of TARGETS) {
      const method = methodFor(target);
      for (const up of UP) probes.push({ method, target: `${prefix}/${up}/${target}` });
      for (const sep of SEPARATORS) {
        probes.push({ method, target: `${prefix}/..${sep}${target}` });
        probes.push({ method, target: `${prefix}${sep}..${sep}${target}` }); // the climb itself behind an odd separator
      }
      for (const up of UP.slice(0, 6)) probes.push({ method, target: `${prefix}/x/${up}/${up}/${target}` }); // from one level deeper
      // Canonical: 404 unless a public route takes it (`/inventory/healthz` is the SKU "healthz").
      if (matchRoute(method, `${prefix}/${target}`).kind !== 'route') probes.push({ method, target: `${prefix}/${target}` });
      probes.push({ method, target: `${prefix.toUpperCase()}/../${target}` });
    }
  }
  // At the root, /healthz and /readyz are the gateway's own probes (answered by the kernel before
  // any edge policy, in any case, also in absolute form): tested apart below.
  for (const target of TARGETS.filter((t) => t !== 'healthz' && t !== 'readyz')) {
    const method = methodFor(target);
    probes.push(
      { method, target: `/${target}` },
      { method, target: `/${target.toUpperCase()}` },
      { method, target: `/%2e%2e/${target}` },
      { method, target: `//${target}` },
      { method, target: `http://localhost:3500/${target}` },
      { method, target: `http://127.0.0.1:3500/${target}` },
    );
  }
  probes.push({ method: 'GET', target: `/products/${'a/'.repeat(1100)}v1.0/metadata` }); // over-long
  return probes;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** One probe; a 429 (the 404s pass the rate limit) is waited out, and a restarting stack waited for. */
async function send(probe: Probe): Promise<RawResponse> {
  for (let attempt = 0; ; attempt += 1) {
    let res: RawResponse;
    try {
      res = await rawRequest(PORT, probe.method, probe.target, { host: HOST, body: probe.method === 'GET' ? undefined : '{}', headers: probe.method === 'GET' ? {} : { 'content-type': 'application/json' } });
    } catch (err) {
      if (attempt > 60 || (err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') throw err;
      await sleep(5000);
      continue;
    }
    if (res.status !== 429 || attempt > 20) return res;
    await sleep(1000 * Number(res.headers['retry-after'] ?? 1));
  }
}

/**
 * The gateway's own refusal: problem+json, also for a request line Node's parser refuses (raw
 * control bytes: kernel/lifecycle.ts answers those itself). A problem may echo the client's own
 * path in `instance` (the kernel's malformed-URL check does; the edge's refusals never do):
 * that part is set aside.
 */
function verdictOf(probe: Probe, res: RawResponse): string | undefined {
  if (![400, 404, 405, 414].includes(res.status)) return `status ${res.status}: ${res.body.slice(0, 200)}`;
  if (!res.headers['content-type']?.includes('application/problem+json')) return `not problem+json (${res.headers['content-type']}): ${res.body.slice(0, 200)}`;
  let problem: Record<string, unknown>;
  try {
    problem = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    return `not JSON: ${res.body.slice(0, 200)}`;
  }
  const { instance, ...rest } = problem;
  if (instance !== undefined && !probe.target.includes(String(instance))) return `instance is not the client's own path: ${String(instance)}`;
  if (rest.status !== res.status || typeof rest.title !== 'string') return `not a problem: ${res.body.slice(0, 200)}`;
  const text = JSON.stringify(rest);
  if (LEAKS.test(text)) return `leaks: ${text.slice(0, 300)}`;
  return undefined;
}

beforeAll(async () => {
  for (let i = 0; i < 60; i += 1) {
    const ready = await fetch(`${GATEWAY}/readyz`).then((r) => r.ok, () => false);
    if (ready) return;
    await sleep(5000);
  }
  throw new Error('the gateway is not ready');
});

test('no path trick reaches a sidecar API, a Dapr callback or an internal route through the gateway', async () => {
  const probes = corpus();
  const findings: string[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < probes.length) {
        const probe = probes[next++]!;
        const res = await send(probe);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const verdict = verdictOf(probe, res);
        if (verdict) findings.push(`${probe.method} ${JSON.stringify(probe.target)} → ${verdict}`);
      }
    }),
  );
  expect(findings).toEqual([]);
  expect(probes.length).toBeGreaterThan(5000);
  // Most are refused as non-canonical; the canonical ones name no public route.
  expect(statuses.get(400)).toBeGreaterThan(probes.length / 2);
  expect(statuses.get(404)).toBeGreaterThan(0);
});

test('the sidecar is still up after the shutdown probes, and the public API still answers', async () => {
  const products = await fetch(`${GATEWAY}/products?page_size=1`);
  expect(products.status).toBe(200);
  expect(await products.json()).toMatchObject({ items: expect.any(Array) });
  expect((await fetch(`${GATEWAY}/readyz`)).status).toBe(200);
});

test("the gateway's own probes answer for the gateway only, whatever the spelling", async () => {
  for (const target of ['/healthz', '/HEALTHZ', 'http://127.0.0.1:3500/healthz', '/readyz', 'http://localhost:8001/readyz']) {
    const res = await send({ method: 'GET', target });
    expect({ target, status: res.status }).toEqual({ target, status: 200 });
    const body = JSON.parse(res.body) as { status?: string; ready?: boolean; checks?: Record<string, unknown> };
    // The liveness answer, or the gateway's readiness (its one check: its own sidecar), nothing else.
    if (target.toLowerCase().endsWith('healthz')) expect(body).toEqual({ status: 'ok' });
    else expect(Object.keys(body.checks ?? {})).toEqual(['dapr']);
  }
});

test('a request line that names another host is refused, not forwarded', async () => {
  for (const target of ['http://127.0.0.1:3500/v1.0/metadata', 'http://localhost:8001/internal/products/export', '*', 'localhost:3500']) {
    const res = await send({ method: target === '*' ? 'OPTIONS' : 'GET', target });
    expect({ target, verdict: verdictOf({ method: 'GET', target }, res) }).toEqual({ target, verdict: undefined });
    expect({ target, status: res.status }).toEqual({ target, status: 400 });
  }
});

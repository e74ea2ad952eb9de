import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { createHttpApp } from '../../../kernel/http/app';
import { Readiness } from '../../../kernel/health';
import { createLogger } from '../../../kernel/logger';
import { TokenVerifier } from '../../../kernel/auth/verifier';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../../kernel/auth/caller';
import type { Sidecar } from '../../../kernel/dapr/sidecar';
import { proxyToServices } from '../src/http/proxy';
import { edgePolicies } from '../src/http/edge-policies';
import type { GatewayConfig } from '../src/config';

/**
 * The gateway's edge policies in front of its real proxy, in process: the sidecar is a fake
 * that records what would have been forwarded, so no Dapr is needed.
 */
type EdgeConfig = Pick<GatewayConfig, 'corsOrigins' | 'rateLimitPerSecond' | 'rateLimitBurst' | 'trustProxy'>;
const SHOP = 'https://shop.example.com';
const clock = { now: 1_000_000 };
let signingKey: KeyLike;
let publicJwk: JWK;
const servers: http.Server[] = [];

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  signingKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

async function token(sub: string, options: { key?: KeyLike; expiresIn?: string | number } = {}) {
  return new SignJWT({ role: 'customer' })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(options.key ?? signingKey);
}

interface Forwarded {
  appId: string;
  path: string;
  headers: Record<string, string>;
}

async function startGateway(overrides: Partial<EdgeConfig> = {}, keys: () => Promise<{ keys: JWK[] }> = async () => ({ keys: [publicJwk] })) {
  const config: EdgeConfig = { corsOrigins: new Set([SHOP]), rateLimitPerSecond: 1000, rateLimitBurst: 1000, trustProxy: false, ...overrides };
  const forwarded: Forwarded[] = [];
  const sidecar = {
    async invoke(appId: string, path: string, init: RequestInit) {
      forwarded.push({ appId, path, headers: { ...(init.headers as Record<string, string>) } });
      return new Response(JSON.stringify({ ok: true }), {
        status: 200,
        headers: { 'content-type': 'application/json', vary: 'Accept-Encoding', etag: '"v1"', 'dapr-app-id': appId },
      });
    },
  } as unknown as Sidecar;
  const proxy = new Router();
  proxy.all(/^\/.*/, proxyToServices(sidecar, 1000, config.trustProxy));
  const app = createHttpApp({
    logger: createLogger('gateway-test', 'silent'),
    bodyLimitBytes: 1024,
    routes: [],
    readiness: new Readiness(),
    middleware: edgePolicies(config, new TokenVerifier(keys), () => clock.now),
    extraRouters: [proxy],
  });
  const server = http.createServer(app.callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, init);
  return { call, forwarded };
}

async function expectProblem(res: Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return (await res.json()) as Record<string, unknown>;
}

describe('CORS at the gateway', () => {
  test('an allowed origin may read the answer and the headers the API relies on', async () => {
    const { call } = await startGateway();
    const res = await call('/products', { headers: { origin: SHOP } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    const exposed = res.headers.get('access-control-expose-headers')!.split(', ');
    expect(exposed).toEqual(expect.arrayContaining(['ETag', 'Location', 'X-Request-Id', 'RateLimit-Limit', 'RateLimit-Remaining']));
    // The service's own Vary is kept beside Origin.
    expect(res.headers.get('vary')).toBe('Origin, Accept-Encoding');
  });

  test('another origin gets no CORS headers, but the answer still varies by Origin', async () => {
    const { call } = await startGateway();
    const res = await call('/products', { headers: { origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('vary')).toContain('Origin');
  });

  test('a preflight is answered at the edge with the methods and headers the API takes', async () => {
    const { call, forwarded } = await startGateway();
    const res = await call('/orders/1', { method: 'OPTIONS', headers: { origin: SHOP, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization, idempotency-key' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(res.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(res.headers.get('access-control-allow-headers')!.split(', ')).toEqual(expect.arrayContaining(['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match']));
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(forwarded).toEqual([]);
  });

  test('a preflight from another origin gets no permission', async () => {
    const { call, forwarded } = await startGateway();
    const res = await call('/orders/1', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'DELETE' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
    expect(forwarded).toEqual([]);
  });

  test('without configured origins there are no CORS headers at all', async () => {
    const { call } = await startGateway({ corsOrigins: new Set() });
    const res = await call('/products', { headers: { origin: SHOP } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
  });

  test('refusals at the edge are readable by the page that caused them', async () => {
    const { call } = await startGateway();
    const res = await call('/orders', { headers: { origin: SHOP, authorization: 'Bearer not.a.token' } });
    await expectProblem(res, 401);
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
  });
});

describe('the token check at the edge', () => {
  test('a valid token is forwarded unchanged, and no identity header is invented', async () => {
    const { call, forwarded } = await startGateway();
    const bearer = `Bearer ${await token(randomUUID())}`;
    const spoofed = { authorization: bearer, 'x-user-id': 'admin', 'x-forwarded-for': '203.0.113.9' };
    expect((await call('/orders', { headers: spoofed })).status).toBe(200);
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]!.appId).toBe('order');
    expect(forwarded[0]!.headers.authorization).toBe(bearer);
    // fetch's own Accept, the token as sent, the request id and the address the gateway saw:
    // the client's X-User-Id stays at the edge and its X-Forwarded-For is replaced.
    expect(Object.keys(forwarded[0]!.headers).sort()).toEqual(['accept', 'authorization', 'x-forwarded-for', 'x-request-id']);
    expect(forwarded[0]!.headers['x-forwarded-for']).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  });

  test('forged, expired, foreign and malformed tokens are 401 before any service is called', async () => {
    const { call, forwarded } = await startGateway();
    const foreign = (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey;
    const good = await token(randomUUID());
    const [header, , signature] = good.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'x', role: 'admin' })).toString('base64url')}.${signature}`;
    const expired = await token(randomUUID(), { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    for (const authorization of [`Bearer ${forged}`, `Bearer ${expired}`, `Bearer ${await token('x', { key: foreign })}`, 'Bearer nonsense', 'Basic YTpi']) {
      const res = await call('/products', { headers: { authorization } });
      await expectProblem(res, 401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
    }
    expect(forwarded).toEqual([]);
  });

  test('a request without a token goes on: the service decides what is public', async () => {
    const { call, forwarded } = await startGateway();
    expect((await call('/products')).status).toBe(200);
    expect(forwarded).toHaveLength(1);
  });

  test('when keys cannot be fetched the edge steps aside and the service decides', async () => {
    const { call, forwarded } = await startGateway({}, async () => {
      throw new Error('user service down');
    });
    expect((await call('/orders', { headers: { authorization: `Bearer ${await token(randomUUID())}` } })).status).toBe(200);
    expect(forwarded).toHaveLength(1);
  });
});

describe('the rate limit at the edge', () => {
  test('allows the burst, then 429 with Retry-After and RateLimit headers, then refills', async () => {
    const { call } = await startGateway({ rateLimitPerSecond: 1, rateLimitBurst: 3 });
    const remaining: Array<string | null> = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await call('/products');
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBe('3');
      remaining.push(res.headers.get('ratelimit-remaining'));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const refused = await call('/products');
    const body = await expectProblem(refused, 429);
    expect(body.title).toBe('Too Many Requests');
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    // Probes are never limited: a kubelet must see the gateway's health regardless.
    expect((await call('/healthz')).status).toBe(200);
    clock.now += 1000;
    expect((await call('/products')).status).toBe(200);
  });

  test('a signed-in client has its own bucket, apart from its address and other users', async () => {
    const { call } = await startGateway({ rateLimitPerSecond: 1, rateLimitBurst: 2 });
    const alice = { authorization: `Bearer ${await token(randomUUID())}` };
    const bob = { authorization: `Bearer ${await token(randomUUID())}` };
    expect((await call('/orders', { headers: alice })).status).toBe(200);
    expect((await call('/orders', { headers: alice })).status).toBe(200);
    await expectProblem(await call('/orders', { headers: alice }), 429);
    expect((await call('/orders', { headers: bob })).status).toBe(200);
    expect((await call('/products')).status).toBe(200);
  });

  test('requests with bad tokens are charged to their address', async () => {
    const { call } = await startGateway({ rateLimitPerSecond: 1, rateLimitBurst: 2 });
    await expectProblem(await call('/orders', { headers: { authorization: 'Bearer bad.bad.bad' } }), 401);
    await expectProblem(await call('/orders', { headers: { authorization: 'Bearer bad.bad.bad' } }), 401);
    await expectProblem(await call('/orders', { headers: { authorization: 'Bearer bad.bad.bad' } }), 429);
    await expectProblem(await call('/products'), 429);
  });

  test('X-Forwarded-For cannot buy a fresh bucket unless a proxy is trusted', async () => {
    const edge = await startGateway({ rateLimitPerSecond: 1, rateLimitBurst: 1 });
    expect((await edge.call('/products', { headers: { 'x-forwarded-for': '198.51.100.1' } })).status).toBe(200);
    await expectProblem(await edge.call('/products', { headers: { 'x-forwarded-for': '198.51.100.2' } }), 429);

    const behindProxy = await startGateway({ rateLimitPerSecond: 1, rateLimitBurst: 1, trustProxy: true });
    expect((await behindProxy.call('/products', { headers: { 'x-forwarded-for': '198.51.100.1' } })).status).toBe(200);
    expect((await behindProxy.call('/products', { headers: { 'x-forwarded-for': '198.51.100.2' } })).status).toBe(200);
    // Only the entry the trusted proxy appended counts, not what the client wrote before it.
    await expectProblem(await behindProxy.call('/products', { headers: { 'x-forwarded-for': '203.0.113.5, 198.51.100.2' } }), 429);
  });

  test('a rate of 0 turns the limit off', async () => {
    const { call } = await startGateway({ rateLimitPerSecond: 0, rateLimitBurst: 1 });
    for (let i = 0; i < 5; i += 1) expect((await call('/products')).status).toBe(200);
  });
});

import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { createHttpApp } from '../../kernel/http/app';
import { defineRoute } from '../../kernel/http/route';
import { Readiness } from '../../kernel/health';
import { createLogger } from '../../kernel/logger';
import { TokenVerifier } from '../../kernel/auth/verifier';
import { requireOwned } from '../../kernel/auth/access';
import { TOKEN_AUDIENCE, TOKEN_ISSUER, type Caller } from '../../kernel/auth/caller';

let server: http.Server;
let base: string;
let signingKey: KeyLike;
const publicJwks: JWK[] = [];
let jwksFetches = 0;
const alice = randomUUID();
const bob = randomUUID();
const aliceThing = { id: 'thing-1', user_id: alice };

async function token(claims: Record<string, unknown>, options: { kid?: string; key?: KeyLike; expiresIn?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: options.kid ?? 'k1' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(String(claims.sub))
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(options.key ?? signingKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  signingKey = pair.privateKey;
  publicJwks.push({ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' });
  const verifier = new TokenVerifier(async () => {
    jwksFetches += 1;
    return { keys: [...publicJwks] };
  }, { minRefreshMs: 300 });
  const routes = [
    defineRoute({ method: 'GET', path: '/open', summary: 'public', access: 'public', responses: {}, handler: async ({ caller }) => ({ body: { caller } }) }),
    defineRoute({ method: 'GET', path: '/mine', summary: 'signed in', responses: {}, handler: async ({ caller }) => ({ body: { caller } }) }),
    defineRoute({ method: 'GET', path: '/admin', summary: 'admin', access: 'admin', responses: {}, handler: async ({ caller }) => ({ body: { caller } }) }),
    defineRoute({ method: 'GET', path: '/internal', summary: 'internal', access: 'internal', responses: {}, handler: async () => ({ body: { ok: true } }) }),
    defineRoute({
      method: 'GET', path: '/things/alice', summary: 'owned', responses: {},
      handler: async ({ caller }) => ({ body: requireOwned(caller, aliceThing, 'No thing.') }),
    }),
  ];
  const app = createHttpApp({ logger: createLogger('auth-test', 'silent'), bodyLimitBytes: 1024, routes, readiness: new Readiness(), verifier });
  server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const call = (path: string, auth?: string, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { headers: { ...(auth ? { authorization: auth } : {}), ...headers } });

function b64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('access control in every service', () => {
  test('routes need a token unless public; a valid token identifies the caller', async () => {
    expect((await call('/mine')).status).toBe(401);
    expect((await call('/open')).status).toBe(200);
    const res = await call('/mine', `Bearer ${await token({ sub: alice, role: 'customer' })}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { caller: Caller }).caller).toEqual({ id: alice, role: 'customer' });
  });

  test('refuses a tampered token, alg none, an expired token and a foreign signer with 401', async () => {
    const good = await token({ sub: alice, role: 'customer' });
    const [header, , signature] = good.split('.');
    const tampered = `${header}.${b64url({ sub: alice, role: 'admin', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, iat: 1, exp: 9999999999 })}.${signature}`;
    const none = `${b64url({ alg: 'none', kid: 'k1' })}.${b64url({ sub: alice, role: 'admin', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, iat: 1, exp: 9999999999 })}.`;
    const expired = await token({ sub: alice, role: 'customer' }, { expiresIn: '-1m' });
    const stranger = (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey;
    const foreign = await token({ sub: alice, role: 'admin' }, { key: stranger });
    for (const bad of [tampered, none, expired, foreign, 'not-a-token']) {
      const res = await call('/mine', `Bearer ${bad}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
    }
    expect((await call('/open', `Bearer ${tampered}`)).status).toBe(401); // a bad token is never ignored
  });

  test('garbage key ids cost at most one key-set fetch per interval', async () => {
    const before = jwksFetches;
    const started = Date.now();
    const unknownKid = await token({ sub: alice, role: 'customer' }, { kid: 'k-unknown' });
    const answers = await Promise.all(Array.from({ length: 20 }, () => call('/mine', `Bearer ${unknownKid}`)));
    expect(answers.every((r) => r.status === 401)).toBe(true);
    const intervals = Math.ceil((Date.now() - started) / 300) + 1;
    expect(jwksFetches - before).toBeLessThanOrEqual(intervals);
  });

  test('a token signed by a key rotated in after the last fetch is accepted', async () => {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    publicJwks.push({ ...(await exportJWK(pair.publicKey)), kid: 'k2', alg: 'EdDSA', use: 'sig' });
    await call('/mine', `Bearer ${await token({ sub: alice, role: 'customer' })}`); // cache is fresh now
    const rotated = await token({ sub: alice, role: 'customer' }, { kid: 'k2', key: pair.privateKey });
    expect((await call('/mine', `Bearer ${rotated}`)).status).toBe(200);
  });

  test('admin routes refuse customers with 403', async () => {
    expect((await call('/admin', `Bearer ${await token({ sub: alice, role: 'customer' })}`)).status).toBe(403);
    expect((await call('/admin', `Bearer ${await token({ sub: bob, role: 'admin' })}`)).status).toBe(200);
  });

  test("a customer never reaches another customer's resource; it looks missing", async () => {
    expect((await call('/things/alice', `Bearer ${await token({ sub: alice, role: 'customer' })}`)).status).toBe(200);
    const res = await call('/things/alice', `Bearer ${await token({ sub: bob, role: 'customer' })}`);
    expect(res.status).toBe(404);
    expect((await call('/things/alice', `Bearer ${await token({ sub: bob, role: 'admin' })}`)).status).toBe(200);
  });

  test('internal routes answer only calls relayed by another service, never the gateway', async () => {
    expect((await call('/internal')).status).toBe(404);
    expect((await call('/internal', undefined, { 'dapr-caller-app-id': 'gateway' })).status).toBe(404);
    expect((await call('/internal', undefined, { 'dapr-caller-app-id': 'order' })).status).toBe(200);
  });
});

describe('apps behind their sidecar', () => {
  test('with APP_API_TOKEN set, only requests carrying it are served; probes stay open', async () => {
    const routes = [defineRoute({ method: 'GET', path: '/open', summary: 'public', access: 'public', responses: {}, handler: async () => ({ body: {} }) })];
    const app = createHttpApp({ logger: createLogger('t', 'silent'), bodyLimitBytes: 1024, routes, readiness: new Readiness(), appApiToken: 's3cret-token' });
    const guarded = http.createServer(app.callback());
    await new Promise<void>((resolve) => guarded.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(guarded.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${url}/open`)).status).toBe(401);
      expect((await fetch(`${url}/open`, { headers: { 'dapr-api-token': 'wrong-token!' } })).status).toBe(401);
      expect((await fetch(`${url}/open`, { headers: { 'dapr-api-token': 's3cret-token' } })).status).toBe(200);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await new Promise((resolve) => guarded.close(resolve));
    }
  });
});

/**
 * Users and authentication through the gateway and Dapr, against the running stack.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { importJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import pg from 'pg';
import Redis from 'ioredis';
import { pgConfig } from '../../kernel/config';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../kernel/auth/caller';
import { unseal } from '../../apps/user/src/domain/key-sealing';
import { ROOT } from '../support/processes';
import { api, hashingCall, PASSWORD, sidecarHeaders, signUp, uniqueEmail } from '../support/gateway';

const USER_SIDECAR = 'http://127.0.0.1:3500/v1.0/invoke/user/method';
/** Every password and token this file uses; the last test checks that no log contains one. */
const secretsSeen: string[] = [PASSWORD];

/** Signs with the service's real current key: only the claims decide whether it is accepted. */
async function signWithRealKey(claims: Record<string, unknown>, expiresAt: number): Promise<string> {
  const pool = new pg.Pool({ ...pgConfig(), max: 1 });
  try {
    const { rows } = await pool.query<{ kid: string; private_jwk_sealed: string }>(
      'SELECT kid, private_jwk_sealed FROM users.signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1',
    );
    const secret = Buffer.from(readFileSync(path.join(ROOT, '.data/run/user-key-encryption-secret'), 'utf8'), 'base64');
    const jwk = JSON.parse(unseal(rows[0]!.private_jwk_sealed, secret)) as JWK;
    const key = (await importJWK(jwk, 'EdDSA')) as KeyLike;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: rows[0]!.kid })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(expiresAt - 900)
      .setExpirationTime(expiresAt)
      .sign(key);
  } finally {
    await pool.end();
  }
}

describe('register → login → use → refresh → logout', () => {
  test('the whole session life cycle', async () => {
    const email = uniqueEmail('life');
    const registered = await api('POST', '/auth/register', { body: { email, password: PASSWORD, name: 'Ann' } });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ email, name: 'Ann', role: 'customer' });
    expect(registered.body).not.toHaveProperty('password_hash');

    const login = await api('POST', '/auth/login', { body: { email, password: PASSWORD } });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(login.headers.get('cache-control')).toBe('no-store');
    secretsSeen.push(login.body.access_token, login.body.refresh_token);

    const me = await api('GET', '/users/me', { token: login.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(registered.body.id);

    const refreshed = await api('POST', '/auth/refresh', { body: { refresh_token: login.body.refresh_token } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(login.body.refresh_token);
    secretsSeen.push(refreshed.body.access_token, refreshed.body.refresh_token);
    expect((await api('GET', '/users/me', { token: refreshed.body.access_token })).status).toBe(200);

    expect((await api('POST', '/auth/logout', { body: { refresh_token: refreshed.body.refresh_token } })).status).toBe(204);
    const afterLogout = await api('POST', '/auth/refresh', { body: { refresh_token: refreshed.body.refresh_token } });
    expect(afterLogout.status).toBe(401);
    expect(afterLogout.headers.get('content-type')).toContain('application/problem+json');
  });

  test('a duplicate e-mail is 409 (case-insensitive); a weak password or bad e-mail is 400', async () => {
    const email = uniqueEmail('dup');
    expect((await hashingCall('/auth/register', { email, password: PASSWORD })).status).toBe(201);
    expect((await hashingCall('/auth/register', { email: email.toUpperCase(), password: PASSWORD })).status).toBe(409);
    const weak = await api('POST', '/auth/register', { body: { email: uniqueEmail('weak'), password: 'short' } });
    expect(weak.status).toBe(400);
    expect(weak.body.errors[0].pointer).toBe('/body/password');
    expect((await api('POST', '/auth/register', { body: { email: 'not-an-email', password: PASSWORD } })).status).toBe(400);
    expect((await api('POST', '/auth/register', { body: { email: uniqueEmail('x'), password: PASSWORD, role: 'admin' } })).status).toBe(400);
  });

  test('a wrong password and an unknown account get the same 401', async () => {
    const user = await signUp('wrong');
    const wrong = await hashingCall('/auth/login', { email: user.email, password: 'not the password at all' });
    const unknown = await hashingCall('/auth/login', { email: uniqueEmail('nobody'), password: PASSWORD });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.detail).toBe(unknown.body.detail);
  });
});

describe('refused tokens', () => {
  test('tampered, alg none, expired and foreign-signed access tokens are 401 at the gateway and at the service', async () => {
    const user = await signUp('tokens');
    secretsSeen.push(user.access, user.refresh);
    const [header, payload, signature] = user.access.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.${signature}`;
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    const now = Math.floor(Date.now() / 1000);
    const expired = await signWithRealKey({ sub: user.id, role: 'customer' }, now - 60);
    const stillValid = await signWithRealKey({ sub: user.id, role: 'customer' }, now + 60);
    expect((await api('GET', '/users/me', { token: stillValid })).status).toBe(200); // the forging method itself works

    for (const token of [tampered, none, expired]) {
      const viaGateway = await api('GET', '/users/me', { token });
      expect(viaGateway.status).toBe(401);
      const direct = await fetch(`${USER_SIDECAR}/users/me`, { headers: sidecarHeaders({ authorization: `Bearer ${token}` }) });
      expect(direct.status).toBe(401);
    }
  });

  test('a used refresh token presented again ends the whole session (reuse detection)', async () => {
    const user = await signUp('reuse');
    const first = await api('POST', '/auth/refresh', { body: { refresh_token: user.refresh } });
    expect(first.status).toBe(200);
    const replay = await api('POST', '/auth/refresh', { body: { refresh_token: user.refresh } });
    expect(replay.status).toBe(401);
    // The thief replayed the old token: the legitimate successor is revoked too.
    expect((await api('POST', '/auth/refresh', { body: { refresh_token: first.body.refresh_token } })).status).toBe(401);
  });

  test('admin routes refuse customers; the first admin comes from the documented command', async () => {
    const customer = await signUp('notadmin');
    expect((await api('POST', '/auth/keys/rotate', { token: customer.access })).status).toBe(403);

    const email = uniqueEmail('admin');
    const password = 'an admin passphrase here';
    const run = spawnSync(process.execPath, [path.join(ROOT, 'dist/scripts/create-admin.js'), '--email', email], {
      env: { ...process.env, ADMIN_PASSWORD: password },
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    const admin = await hashingCall('/auth/login', { email, password });
    expect(admin.status).toBe(200);

    // Rotation: new tokens carry the new key id; tokens signed with the old key stay valid.
    const rotated = await api('POST', '/auth/keys/rotate', { token: admin.body.access_token });
    expect(rotated.status).toBe(201);
    expect((await api('GET', '/users/me', { token: customer.access })).status).toBe(200);
    const fresh = await api('POST', '/auth/login', { body: { email: customer.email, password: PASSWORD } });
    const kid = JSON.parse(Buffer.from(fresh.body.access_token.split('.')[0], 'base64url').toString()).kid;
    expect(kid).toBe(rotated.body.kid);
    expect((await api('GET', `/orders/${customer.id}`, { token: fresh.body.access_token })).status).toBe(404); // order service knows the new key
    const jwks = await api('GET', '/auth/.well-known/jwks.json');
    expect(jwks.body.keys.length).toBeGreaterThanOrEqual(2);
  });
});

describe('one user never reaches another user\'s data', () => {
  test('profiles and addresses: through the gateway and directly through service invocation', async () => {
    const alice = await signUp('alice');
    const bob = await signUp('bob');
    const address = await api('POST', '/users/me/addresses', {
      token: alice.access,
      body: { recipient: 'Alice', line1: '1 Main St', city: 'Oslo', postal_code: '0150', country: 'NO' },
    });
    expect(address.status).toBe(201);
    const addressId = address.body.id;

    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/users/${alice.id}`],
      ['PATCH', `/users/${alice.id}`, { name: 'Mallory' }],
      ['GET', `/users/${alice.id}/addresses`],
      ['POST', `/users/${alice.id}/addresses`, { recipient: 'M', line1: 'x', city: 'y', postal_code: '1', country: 'NO' }],
      ['PUT', `/users/${alice.id}/addresses/${addressId}`, { recipient: 'M', line1: 'x', city: 'y', postal_code: '1', country: 'NO' }],
      ['DELETE', `/users/${alice.id}/addresses/${addressId}`],
      ['PUT', `/users/me/addresses/${addressId}`, { recipient: 'M', line1: 'x', city: 'y', postal_code: '1', country: 'NO' }],
      ['DELETE', `/users/me/addresses/${addressId}`],
    ];
    for (const [method, route, body] of attempts) {
      const viaGateway = await api(method, route, { token: bob.access, body });
      expect([403, 404]).toContain(viaGateway.status);
      const direct = await fetch(`${USER_SIDECAR}${route}`, {
        method,
        headers: sidecarHeaders({ authorization: `Bearer ${bob.access}`, ...(body ? { 'content-type': 'application/json' } : {}) }),
        body: body ? JSON.stringify(body) : undefined,
      });
      expect([403, 404]).toContain(direct.status);
    }
    const still = await api('GET', '/users/me/addresses', { token: alice.access });
    expect(still.body.items).toHaveLength(1);
    expect(still.body.items[0]).toMatchObject({ id: addressId, recipient: 'Alice', line1: '1 Main St' });
    expect((await api('GET', '/users/me', { token: alice.access })).body.name).toBe('');
  });
});

describe('brute force', () => {
  test('after 5 failures from one address the account is throttled there with 429 and Retry-After, even for the right password', async () => {
    const user = await signUp('brute');
    for (let i = 0; i < 5; i += 1) {
      expect((await api('POST', '/auth/login', { body: { email: user.email, password: `guess number ${i}` } })).status).toBe(401);
    }
    const blocked = await api('POST', '/auth/login', { body: { email: user.email, password: PASSWORD } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another account from the same client is not locked out by this one.
    const other = await signUp('bystander');
    expect((await api('POST', '/auth/login', { body: { email: other.email, password: PASSWORD } })).status).toBe(200);
  });
});

/** A documentation address (RFC 5737) of its own per run, so runs never share throttle counters. */
function testAddress(net: '192.0.2' | '198.51.100' | '203.0.113'): string {
  return `${net}.${1 + Math.floor(Math.random() * 250)}`;
}

/** A request as the gateway relays it (its sidecar names it the caller), from a client address of our choosing. */
async function viaGatewaySidecar(route: string, body: unknown, clientAddress: string) {
  const res = await fetch(`${USER_SIDECAR}${route}`, {
    method: 'POST',
    headers: sidecarHeaders({ 'content-type': 'application/json', 'x-forwarded-for': clientAddress }),
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

describe('abuse', () => {
  test("failed sign-ins on someone's e-mail get the attacker's address 429; the owner still signs in", async () => {
    const owner = await signUp('lockout');
    const attacker = testAddress('203.0.113');
    for (let i = 0; i < 5; i += 1) expect((await viaGatewaySidecar('/auth/login', { email: owner.email, password: `guess number ${i}` }, attacker)).status).toBe(401);
    const refused = await viaGatewaySidecar('/auth/login', { email: owner.email, password: PASSWORD }, attacker);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    const fromHome = await api('POST', '/auth/login', { body: { email: owner.email, password: PASSWORD } });
    expect(fromHome.status).toBe(200);
    secretsSeen.push(fromHome.body.access_token, fromHome.body.refresh_token);
  });

  test('past its hash budget a client gets 429 with Retry-After on register and login; other clients do not', async () => {
    const client = testAddress('192.0.2');
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof viaGatewaySidecar>> | undefined;
    // The default burst is 60 (USER_HASH_BUDGET_BURST) and five more a second, while a sign-in
    // costs one hash: refused well before 400 sign-ins one after another.
    for (let i = 0; i < 400 && !refused; i += 1) {
      const res = await viaGatewaySidecar('/auth/login', { email: uniqueEmail('budget'), password: 'not a real account' }, client);
      statuses.push(res.status);
      if (res.status === 429 && !String(res.body.detail).includes('failed sign-ins')) refused = res;
    }
    expect(refused).toBeDefined();
    expect(refused!.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    // At once, so that at most one of them finds a token refilled in the meantime.
    const registers = await Promise.all(Array.from({ length: 4 }, () => viaGatewaySidecar('/auth/register', { email: uniqueEmail('budget'), password: PASSWORD }, client)));
    expect(registers.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(3);
    expect((await viaGatewaySidecar('/auth/register', { email: uniqueEmail('budget'), password: PASSWORD }, testAddress('198.51.100'))).status).toBe(201);
  });

  test('a sign-in with an Idempotency-Key is replayed with its tokens, and Redis never holds them in plain form', async () => {
    const user = await signUp('idem');
    const key = `login-${Date.now()}-${Math.random()}`;
    const first = await api('POST', '/auth/login', { body: { email: user.email, password: PASSWORD }, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(200);
    secretsSeen.push(first.body.access_token, first.body.refresh_token);
    const again = await api('POST', '/auth/login', { body: { email: user.email, password: PASSWORD }, headers: { 'idempotency-key': key } });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);

    const redis = new Redis({ host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 63799), lazyConnect: true });
    try {
      await redis.connect();
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', 'user||idem|*', 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      expect(keys.length).toBeGreaterThan(0);
      for (const name of keys) {
        const stored = `${name} ${JSON.stringify(await redis.hgetall(name))}`;
        for (const secret of [first.body.access_token, first.body.refresh_token, key, PASSWORD]) {
          expect(stored.includes(secret) ? `${secret.slice(0, 12)}… in ${name}` : null).toBeNull();
        }
      }
    } finally {
      redis.disconnect();
    }
  });
});

describe('logs', () => {
  test('no password or token used above appears in any log of the stack', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (name.endsWith('.log')) files.push(full);
      }
    };
    for (const app of readdirSync(path.join(ROOT, 'apps'))) {
      try {
        walk(path.join(ROOT, 'apps', app, '.dapr', 'logs'));
      } catch {
        // an app without logs yet
      }
    }
    walk(path.join(ROOT, '.data', 'logs'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const secret of secretsSeen) expect(text.includes(secret) ? `${secret.slice(0, 12)}… in ${file}` : null).toBeNull();
    }
  });
});

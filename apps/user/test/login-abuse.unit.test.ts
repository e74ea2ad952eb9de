/**
 * The user service's defences against abuse, over its real routes with in-memory stores:
 * the per-client hash budget, the hash gate and sign-in throttling that never locks an owner out.
 */
import { PasswordResets } from '../src/domain/password-reset';
import { passwordResetMail } from '../src/domain/mail';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { generateKeyPair } from 'jose';
import { createHttpApp } from '../../../kernel/http/app';
import { Readiness } from '../../../kernel/health';
import { createLogger } from '../../../kernel/logger';
import { authRoutes } from '../src/http/auth-routes';
import { Sessions } from '../src/domain/sessions';
import { HashGate, type HashGateOptions } from '../src/domain/hash-gate';
import { HashBudget, type HashBudgetOptions } from '../src/domain/hash-budget';
import { PasswordHasher } from '../src/domain/password-hasher';
import type { FailureCount, ThrottlePolicy } from '../src/domain/throttle';
import type { UserRow } from '../src/store/users';
import type { ActiveKey } from '../src/store/signing-keys';

const PASSWORD = 'the owner knows this one';
const THROTTLE: ThrottlePolicy = { windowSeconds: 900, maxFailuresPerAccountAndAddress: 5, maxFailuresPerAddress: 50, slowDownAfterAccountFailures: 10, maxDelayMs: 3000 };

/**
 * Counts the hashes actually computed. A cheap stand-in for scrypt (passwords.ts has its own
 * cost) keeps the suite fast; the gate in front of it is the real one.
 */
const cheapHash = { hash: async (p: string) => `plain$${p}`, verify: async (p: string, stored: string) => stored === `plain$${p}` };
class CountingHasher extends PasswordHasher {
  computed = 0;
  override hash(password: string) {
    this.computed += 1;
    return super.hash(password);
  }
  override verify(password: string, stored: string) {
    this.computed += 1;
    return super.verify(password, stored);
  }
}

function memoryUsers() {
  const rows = new Map<string, UserRow>();
  return {
    rows,
    create: async (u: { id: string; email: string; name: string; role: 'customer' | 'admin'; passwordHash: string }) => {
      if (rows.has(u.email.toLowerCase())) return undefined;
      const row: UserRow = { id: u.id, email: u.email, name: u.name, role: u.role, password_hash: u.passwordHash, created_at: new Date(), updated_at: new Date() };
      rows.set(u.email.toLowerCase(), row);
      return row;
    },
    byEmail: async (email: string) => rows.get(email.toLowerCase()),
    byId: async (id: string) => [...rows.values()].find((r) => r.id === id),
    update: async (id: string) => [...rows.values()].find((r) => r.id === id),
  };
}

/** Fixed windows that never end during a test, like the PostgreSQL store's. */
function memoryFailures() {
  const counts = new Map<string, FailureCount>();
  return {
    counts: async (subjects: string[]) => new Map(subjects.filter((s) => counts.has(s)).map((s) => [s, counts.get(s)!] as const)),
    recordFailure: async (subjects: string[]) => {
      for (const s of subjects) counts.set(s, { failures: (counts.get(s)?.failures ?? 0) + 1, since: counts.get(s)?.since ?? new Date() });
    },
    clear: async (subjects: string[]) => subjects.forEach((s) => counts.delete(s)),
  };
}

let signingKey: ActiveKey;
const servers: http.Server[] = [];

beforeAll(async () => {
  signingKey = { kid: 'k-test', privateKey: (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey };
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

async function startUserService(options: { gate?: HashGateOptions; budget?: HashBudgetOptions } = {}) {
  const users = memoryUsers();
  const gate = new HashGate(options.gate ?? { concurrency: 2, maxQueue: 32 });
  const hasher = new CountingHasher(gate, cheapHash);
  const delays: number[] = [];
  const sessions = new Sessions({
    users,
    refreshTokens: { issue: async () => randomBytes(32).toString('base64url'), rotate: async () => ({ kind: 'invalid' }), revokeByToken: async () => undefined },
    keys: { active: async () => signingKey },
    failures: memoryFailures(),
    hasher,
    tokens: { accessTtlSeconds: 900, refreshTtlSeconds: 3600 },
    throttle: THROTTLE,
    sleep: async (ms) => void delays.push(ms),
  });
  const budget = new HashBudget(options.budget ?? { perMinute: 6000, burst: 1000 });
  const resets = new PasswordResets(
    { userByEmail: async () => undefined, recentCount: async () => 0, create: async () => 'r', consume: async () => undefined, send: async () => undefined, mail: passwordResetMail },
    { ttlSeconds: 1800, perWindow: 3, windowSeconds: 3600 },
  );
  const logger = createLogger('user-abuse', 'silent');
  const routes = authRoutes({ users, sessions, keys: { jwks: async () => ({ keys: [] }), rotate: async () => 'k' }, hasher, budget, resets, logger });
  const app = createHttpApp({ logger, bodyLimitBytes: 4096, routes, readiness: new Readiness() });
  const server = http.createServer(app.callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const owner = `owner-${randomUUID()}@example.test`;
  await users.create({ id: randomUUID(), email: owner, name: '', role: 'customer', passwordHash: await cheapHash.hash(PASSWORD) });

  /** A request as the gateway relays it: the client's address in X-Forwarded-For. */
  const post = async (path: string, body: unknown, from: string) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'dapr-caller-app-id': 'gateway', 'x-forwarded-for': from },
      body: JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
  };
  const login = (email: string, password: string, from: string) => post('/auth/login', { email, password }, from);
  return { owner, hasher, gate, delays, post, login };
}

describe('signing in cannot be used to lock an owner out', () => {
  test("failures on someone's e-mail get the attacker's address 429; the owner signs in from theirs", async () => {
    const { owner, hasher, login } = await startUserService();
    const attacker = '203.0.113.66';
    for (let i = 0; i < 5; i += 1) expect((await login(owner, `guess ${i}`, attacker)).status).toBe(401);

    const hashesBefore = hasher.computed;
    const refused = await login(owner, PASSWORD, attacker); // even the right password, from there
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(hasher.computed).toBe(hashesBefore); // refused before any hash

    const ownerLogin = await login(owner, PASSWORD, '198.51.100.7');
    expect(ownerLogin.status).toBe(200);
    expect(ownerLogin.body.token_type).toBe('Bearer');
  });

  test('guesses spread over many addresses slow the account down (growing delay), never refuse its owner', async () => {
    const { owner, delays, login } = await startUserService();
    for (let i = 0; i < 13; i += 1) expect((await login(owner, `guess ${i}`, `203.0.113.${i + 1}`)).status).toBe(401);
    // 10 failures are free; from then on each attempt waits 250 ms, 500 ms, 1 s, … (at most 3 s).
    expect(delays).toEqual([250, 500, 1000]);
    const ownerLogin = await login(owner, PASSWORD, '198.51.100.7');
    expect(ownerLogin.status).toBe(200);
    expect(delays.at(-1)).toBe(2000);
    // The owner's success ends the slow-down.
    expect((await login(owner, PASSWORD, '198.51.100.7')).status).toBe(200);
    expect(delays).toHaveLength(4);
  });

  test('one address spraying many accounts is refused after the per-address limit', async () => {
    const { login } = await startUserService();
    const sprayer = '2001:db8:77:1::5';
    for (let i = 0; i < 50; i += 1) await login(`victim-${i}@example.test`, 'Winter2024!', `2001:db8:77:1::${i + 10}`); // one /64
    const refused = await login('another-victim@example.test', 'Winter2024!', sprayer);
    expect(refused.status).toBe(429);
  });
});

describe('the hash-costly routes cannot exhaust the service', () => {
  test('over its budget a client gets 429 with Retry-After on register and login, before any hash', async () => {
    const { owner, hasher, post, login } = await startUserService({ budget: { perMinute: 6, burst: 3 } });
    const client = '192.0.2.44';
    expect((await post('/auth/register', { email: `new-${randomUUID()}@example.test`, password: 'a long enough passphrase' }, client)).status).toBe(201);
    expect((await login(owner, 'wrong password', client)).status).toBe(401);
    expect((await login(owner, PASSWORD, client)).status).toBe(200);

    const hashesBefore = hasher.computed;
    for (const refused of [
      await post('/auth/register', { email: `new-${randomUUID()}@example.test`, password: 'a long enough passphrase' }, client),
      await login(owner, PASSWORD, client),
    ]) {
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.headers.get('retry-after')).toBe('10');
    }
    expect(hasher.computed).toBe(hashesBefore);
    // Another client is not affected.
    expect((await login(owner, PASSWORD, '192.0.2.45')).status).toBe(200);
  });

  test('bad input is a 400 problem, never a 5xx, and costs no budget', async () => {
    const { owner, login, post } = await startUserService({ budget: { perMinute: 6, burst: 1 } });
    const client = '192.0.2.50';
    const bad = await post('/auth/login', { email: 'not-an-email', password: 'x' }, client);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect((await post('/auth/register', { email: 'x@example.test', password: 'short' }, client)).status).toBe(400);
    expect((await login(owner, PASSWORD, client)).status).toBe(200);
  });

  test('with the hash queue full, a sign-in is refused at once with 503, Retry-After and problem+json', async () => {
    const { owner, gate, login } = await startUserService({ gate: { concurrency: 1, maxQueue: 1 } });
    let release!: () => void;
    const busy = gate.run(() => new Promise<void>((resolve) => (release = resolve)));
    const waiting = login(owner, PASSWORD, '198.51.100.20'); // takes the one queue place
    await new Promise((r) => setTimeout(r, 50));
    expect(gate.load).toEqual({ running: 1, waiting: 1 });

    const refused = await login(owner, PASSWORD, '198.51.100.21');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.headers.get('retry-after')).toBe('1');
    // Answered while the one hash slot is still held: it waited for no hash, and took no queue place.
    expect(gate.load).toEqual({ running: 1, waiting: 1 });
    // A refusal by the gate is not a failed sign-in: nothing is counted against the owner.
    release();
    await busy;
    expect((await waiting).status).toBe(200);
    expect((await login(owner, PASSWORD, '198.51.100.21')).status).toBe(200);
  });
});

/**
 * Bad input never becomes a 5xx, on any operation of any service, through the gateway only.
 *
 * Reads the gateway's merged OpenAPI document and, for every operation, sends malformed
 * bodies generated from its request schema (at least 30 per operation with a body), odd path
 * parameters and odd query strings, anonymously, as a signed-in customer and as an admin. The
 * stack is healthy, so every 5xx is a failure (even a 503), and every 4xx must be
 * problem+json with `type`, `title` and `status`. Deterministic (seeded: FUZZ_SEED), ~8 requests
 * in flight, paced under the gateway's per-client rate limit.
 *
 * Operations whose side effects would reach other suites if a case happened to be valid
 * (sign-in attempts count against the client address; admin writes create products,
 * promotions and stock) get only cases that their schema refuses, checked here with ajv.
 */
import { writeFileSync } from 'node:fs';
import { GATEWAY, signUp, signUpAdmin } from '../support/gateway';
import type { OpenApiDocument, OpenApiOperation } from '../../kernel/http/openapi';
import { operationCases, schemaChecker, seeded, type FuzzCase } from './fuzz-cases';

const SEED = Number(process.env.FUZZ_SEED ?? 20_250_601);
const CONCURRENCY = 8;
/** Per identity (the gateway's bucket is per user, or per address for anonymous callers): 100/s, burst 200 by default. */
const REQUESTS_PER_SECOND = 85;
/** Sign-in and token routes: a valid-looking attempt counts against the client address for 15 minutes. */
const SENSITIVE = new Set(['POST /auth/login', 'POST /auth/refresh', 'POST /auth/logout']);

type Identity = { name: 'anonymous' | 'customer' | 'admin'; token?: string; nextSlot: number };
type Job = { op: string; fuzz: FuzzCase; identity: Identity };
type Finding = { op: string; identity: string; label: string; status: number | string; detail: string };

const statuses = new Map<number, number>();
const findings: Finding[] = [];
let sent = 0;

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** The stack may be restarted by others at any moment: wait for it rather than report it. */
async function untilReady(timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${GATEWAY}/readyz`)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`the gateway at ${GATEWAY} is not ready`);
    await sleep(2000);
  }
}

async function paced(identity: Identity): Promise<void> {
  const now = Date.now();
  const slot = Math.max(now, identity.nextSlot);
  identity.nextSlot = slot + 1000 / REQUESTS_PER_SECOND;
  if (slot > now) await sleep(slot - now);
}

async function send(job: Job): Promise<void> {
  const { fuzz, identity } = job;
  const url = `${GATEWAY}${fuzz.path}${fuzz.query ? `?${fuzz.query}` : ''}`;
  const [method] = job.op.split(' ');
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...fuzz.headers };
  if (fuzz.contentType) headers['content-type'] = fuzz.contentType;
  if (identity.token) headers.authorization = `Bearer ${identity.token}`;
  for (let attempt = 1; ; attempt += 1) {
    await paced(identity);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { method, headers, body: fuzz.body === undefined ? undefined : fuzz.body, redirect: 'manual' });
      text = await res.text();
    } catch (err) {
      // Connection refused: someone restarted the stack. Wait for it and send the case again.
      if (attempt < 4) {
        await untilReady();
        continue;
      }
      findings.push({ op: job.op, identity: identity.name, label: fuzz.label, status: 'network error', detail: String((err as Error).cause ?? err) });
      return;
    }
    if (res.status === 429 && attempt < 6) {
      // Someone else shares our bucket: back off as told and send it again.
      await sleep(1000 * Math.min(Number(res.headers.get('retry-after') ?? 1) || 1, 5));
      continue;
    }
    sent += 1;
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    check(job, res, text);
    return;
  }
}

function check(job: Job, res: Response, text: string): void {
  const finding = (detail: string): void => void findings.push({ op: job.op, identity: job.identity.name, label: job.fuzz.label, status: res.status, detail: `${detail}: ${text.slice(0, 300)}` });
  if (res.status >= 500) return finding('a 5xx for bad input');
  if (res.status < 400) return;
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('application/problem+json')) return finding(`a ${res.status} that is not problem+json (${type || 'no content type'})`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return finding('a problem that is not JSON');
  }
  if (typeof body.type !== 'string' || typeof body.title !== 'string' || typeof body.detail !== 'string' || body.status !== res.status) {
    return finding('a problem without type, title, detail and the status');
  }
  const errors = body.errors;
  if (String(body.type).endsWith('/validation') && (!Array.isArray(errors) || errors.length === 0 || errors.some((e) => typeof e?.pointer !== 'string' || !String(e.pointer).startsWith('/')))) {
    finding('a validation problem without JSON pointers');
  }
}

describe('fuzzing every operation through the gateway', () => {
  let document: OpenApiDocument;
  const identities: Identity[] = [{ name: 'anonymous', nextSlot: 0 }];

  beforeAll(async () => {
    await untilReady();
    const res = await fetch(`${GATEWAY}/openapi.json`);
    expect(res.status).toBe(200);
    document = (await res.json()) as OpenApiDocument;
    identities.push({ name: 'customer', token: (await signUp('fuzz')).access, nextSlot: 0 });
    identities.push({ name: 'admin', token: (await signUpAdmin('fuzz-admin')).access, nextSlot: 0 });
  });

  test('no malformed request is answered with a 5xx, and every 4xx is problem+json', async () => {
    const started = Date.now();
    const valid = schemaChecker();
    const jobs: Job[] = [];
    const perOperation: Array<{ op: string; bodies: number }> = [];
    for (const [path, item] of Object.entries(document.paths).sort(([a], [b]) => a.localeCompare(b))) {
      for (const [method, op] of Object.entries(item) as Array<[string, OpenApiOperation]>) {
        const key = `${method.toUpperCase()} ${path}`;
        // One generator per operation: adding an operation to the API leaves every other one's cases as they were.
        const cases = operationCases(path, method, op, seeded(SEED ^ fnv1a(key)), valid, SENSITIVE);
        perOperation.push({ op: key, bodies: cases.filter((c) => !c.label.startsWith('path ') && !c.label.startsWith('query ')).length });
        for (const identity of identities) for (const fuzz of cases) jobs.push({ op: key, fuzz, identity });
      }
    }
    // Interleave identities so that every rate-limit bucket is used at once.
    const byIdentity = identities.map((identity) => jobs.filter((j) => j.identity === identity));
    const queue: Job[] = [];
    for (let i = 0; byIdentity.some((list) => i < list.length); i += 1) for (const list of byIdentity) if (list[i]) queue.push(list[i]!);

    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < queue.length) await send(queue[next++]!);
    }));

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const seen = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
    process.stdout.write(`fuzz: ${perOperation.length} operations, ${sent} requests in ${seconds} s (seed ${SEED}), statuses ${seen}, ${findings.length} findings\n`);
    // FUZZ_REPORT=<file>: every finding as JSON, for a closer look.
    if (process.env.FUZZ_REPORT) writeFileSync(process.env.FUZZ_REPORT, JSON.stringify(findings, null, 1));
    if (findings.length > 0) {
      process.stdout.write(`${findings.slice(0, 40).map((f) => `  ${f.status} ${f.op} as ${f.identity}: ${f.label} — ${f.detail}`).join('\n')}\n`);
    }
    const withBody = perOperation.filter((o) => document.paths[o.op.split(' ')[1]!]?.[o.op.split(' ')[0]!.toLowerCase() as 'post']?.requestBody);
    expect(withBody.filter((o) => o.bodies < 30)).toEqual([]);
    expect(findings).toEqual([]);
  }, 300_000);
});

/** Small client helpers for tests that go through the running stack's gateway. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const GATEWAY = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8000';

/**
 * The sidecars' API token (DAPR_API_TOKEN, made by `npm run up` into .data/run): tests and the
 * benchmark that call a sidecar directly act as an operator of this machine and must send it.
 */
export function sidecarToken(): string {
  return process.env.DAPR_API_TOKEN || runToken('dapr-api-token');
}

/** The apps' APP_API_TOKEN (only their own sidecar sends it): tests that act as a sidecar use it. */
export function appToken(): string {
  return process.env.APP_API_TOKEN || runToken('app-api-token');
}

/** A token `npm run up` made (scripts/stack-env.sh), as the apps and sidecars got it. */
function runToken(file: string): string {
  return readFileSync(path.join(__dirname, '..', '..', '.data', 'run', file), 'utf8').replace(/[\s/+=]/g, '');
}

/** Headers of a direct call to a sidecar's API. */
export function sidecarHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { 'dapr-api-token': sidecarToken(), ...extra };
}

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** One request; one that gets no answer within `timeoutMs` (default 2 min) fails, so no caller waits for ever. */
export async function api<T = any>(method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string>; base?: string; timeoutMs?: number } = {}): Promise<JsonResponse<T>> {
  const res = await fetch(`${options.base ?? GATEWAY}${path}`, {
    method,
    signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      // Another base than the gateway is a sidecar (or an app port, which ignores this header).
      ...(options.base && options.base !== GATEWAY ? { 'dapr-api-token': sidecarToken() } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: body as T };
}

let counter = 0;
/** A unique e-mail per call, so suites never collide with earlier runs' accounts. */
export function uniqueEmail(tag: string): string {
  counter += 1;
  return `${tag}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 7)}@example.test`;
}

export const PASSWORD = 'a long enough passphrase';

/**
 * A password-hashing route, retried as a well-behaved client does when the user service sheds
 * load (503) or the caller's hashing budget is spent (429): after the Retry-After it names. Every
 * test client shares one address, so suites that sign many users up at once meet these limits.
 */
export async function hashingCall<T = any>(path: '/auth/register' | '/auth/login', body: unknown, attempts = 30): Promise<JsonResponse<T>> {
  for (let i = 1; ; i++) {
    const res = await api<T>('POST', path, { body });
    if ((res.status !== 429 && res.status !== 503) || i >= attempts) return res;
    const wait = Math.min(Number(res.headers.get('retry-after') ?? '1') || 1, 5);
    await new Promise((r) => setTimeout(r, wait * 1000));
  }
}

export async function signUp(tag: string, password = PASSWORD): Promise<{ id: string; email: string; access: string; refresh: string }> {
  const email = uniqueEmail(tag);
  const registered = await hashingCall('/auth/register', { email, password });
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${JSON.stringify(registered.body)}`);
  const login = await hashingCall('/auth/login', { email, password });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { id: registered.body.id, email, access: login.body.access_token, refresh: login.body.refresh_token };
}

/** An admin made with the documented command (npm run create-admin), signed in. */
export async function signUpAdmin(tag = 'admin'): Promise<{ email: string; access: string }> {
  const { spawnSync } = await import('node:child_process');
  const path = await import('node:path');
  const { ROOT } = await import('./processes');
  const email = uniqueEmail(tag);
  const run = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'scripts', 'create-admin.js'), '--email', email], {
    env: { ...process.env, ADMIN_PASSWORD: PASSWORD },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`create-admin failed: ${run.stderr}`);
  const login = await hashingCall('/auth/login', { email, password: PASSWORD });
  if (login.status !== 200) throw new Error(`admin login failed: ${login.status}`);
  return { email, access: login.body.access_token };
}

import { Agent, request } from 'undici';
import { HttpProblem } from '../problem';
import { envInt } from '../config';
import { traceHeaders } from '../trace';

/** What a sidecar call sends: a small subset of fetch's RequestInit. */
export interface SidecarInit {
  method?: string;
  headers?: Record<string, string> | Headers;
  body?: string | Buffer | Uint8Array;
  /**
   * Fails with a TimeoutError when the answer takes longer (the request itself runs on).
   * Service invocation defaults to the sidecar's `invokeTimeoutMs` (DAPR_INVOKE_TIMEOUT_MS,
   * 10 s); 0 waits for ever.
   */
  timeoutMs?: number;
}

/** A sidecar's answer, shaped like fetch's Response where callers use it. */
export class SidecarResponse {
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null; has(name: string): boolean };

  constructor(
    readonly status: number,
    rawHeaders: Record<string, string | string[] | undefined>,
    private readonly body: Buffer,
  ) {
    this.ok = status >= 200 && status < 300;
    const get = (name: string) => {
      const value = rawHeaders[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    };
    this.headers = { get, has: (name) => get(name) !== null };
  }

  async text(): Promise<string> {
    return this.body.toString('utf8');
  }

  /** The body's bytes (a Buffer, which is what every caller wants). */
  async bytes(): Promise<Buffer> {
    return this.body;
  }
}

/**
 * Every app talks to its own sidecar on loopback through one pool of kept-alive connections,
 * with undici's `request` rather than `fetch`: measured in the benchmark, fetch's
 * WHATWG objects (Request, Headers, Response, AbortSignal timers) cost the gateway about as much
 * CPU per proxied request as both sidecars together.
 */
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 128, pipelining: 1 });

function plainHeaders(headers: SidecarInit['headers']): Record<string, string> {
  if (!headers) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers.entries());
  return headers;
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * The app's own Dapr sidecar over HTTP: service invocation, pub/sub publish, actor calls,
 * state. Each call is one loopback round trip on a kept-alive connection.
 */
export class Sidecar {
  readonly base: string;

  /**
   * `apiToken` is Dapr's DAPR_API_TOKEN: with it set on the sidecar, every API call but the
   * health checks must carry it, so no other local process can use this app's sidecar.
   */
  constructor(
    httpPort: number,
    host = '127.0.0.1',
    private readonly apiToken = process.env.DAPR_API_TOKEN || undefined,
    /**
     * How long an invocation waits for its answer unless the call says otherwise. The sidecars
     * have no app-target timeouts (components/resiliency.yaml: daprd 1.18.3 panics with them,
     * dapr/dapr#10371), so this is the only bound on a call to another app.
     */
    readonly invokeTimeoutMs = envInt('DAPR_INVOKE_TIMEOUT_MS', 10_000),
  ) {
    this.base = `http://${host}:${httpPort}`;
  }

  /**
   * One request to the sidecar's HTTP API. `timeoutMs` gives up on waiting, but never closes
   * the connection under the sidecar: daprd 1.18.3 panics (nil bufio.Writer in
   * directmessaging's flushWriter) when a caller disconnects while an invocation's answer is
   * still being written, and the sidecar is gone. The late answer is read and dropped.
   */
  async send(path: string, init: SidecarInit = {}): Promise<SidecarResponse> {
    const answer = (async () => {
      const res = await request(`${this.base}${path.startsWith('/') ? path : `/${path}`}`, {
        method: (init.method ?? 'GET') as 'GET',
        // The trace of the work this call is part of (kernel/trace.ts); a caller's own header wins (the gateway forwards the client's).
        headers: { ...traceHeaders(), ...plainHeaders(init.headers), ...(this.apiToken ? { 'dapr-api-token': this.apiToken } : {}) },
        body: init.body,
        dispatcher: agent,
      });
      // Read whole at once: an unread body would hold its pooled connection.
      return new SidecarResponse(res.statusCode, res.headers, Buffer.from(await res.body.arrayBuffer()));
    })();
    if (!init.timeoutMs) return answer;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`sidecar ${path}: no answer within ${init.timeoutMs} ms`)), init.timeoutMs);
    });
    answer.catch(() => undefined); // a late failure after the timeout is nobody's business
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Calls `path` (with its query) on another app through Dapr's service invocation API,
   * `/v1.0/invoke/<appId>/method/<path>`; returns the raw answer. Never the sidecar's root with
   * a `dapr-app-id` header: there the sidecar's own API (`/v1.0/...`) answers any path that
   * resolves to it. See invocationPath for the paths refused.
   */
  async invoke(appId: string, path: string, init: SidecarInit = {}): Promise<SidecarResponse> {
    return this.send(invocationPath(appId, path), { ...init, timeoutMs: init.timeoutMs ?? this.invokeTimeoutMs });
  }

  /** Invokes and parses JSON; a non-2xx answer becomes an HttpProblem with the callee's status. */
  async invokeJson<T>(appId: string, path: string, init: SidecarInit = {}): Promise<T> {
    const res = await this.invoke(appId, path, withJson(init));
    return parseOrThrow<T>(res, `${appId} ${path}`);
  }

  /**
   * Invokes and parses JSON, or undefined when the callee answers 404 or 400: it has no such
   * record (or the id is not one it could hold; a forged event's, say). Other failures throw, so
   * the caller retries later instead of taking an outage for an absence.
   */
  async invokeJsonIfFound<T>(appId: string, path: string, init: SidecarInit = {}): Promise<T | undefined> {
    try {
      return await this.invokeJson<T>(appId, path, init);
    } catch (err) {
      if (err instanceof HttpProblem && (err.status === 404 || err.status === 400)) return undefined;
      throw err;
    }
  }

  /** Publishes one event (CloudEvents envelope added by Dapr) to a topic of a pub/sub component. */
  async publish(pubsub: string, topic: string, data: unknown, metadata: Record<string, string> = {}): Promise<void> {
    const query = new URLSearchParams(Object.entries(metadata).map(([k, v]): [string, string] => [`metadata.${k}`, v]));
    const res = await this.send(`/v1.0/publish/${pubsub}/${encodeURIComponent(topic)}?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(data),
    });
    if (!res.ok) throw new Error(`publish to ${pubsub}/${topic} failed: ${res.status} ${await res.text()}`);
  }

  /** Invokes an output binding (`operation`, e.g. the SMTP binding's `create`); throws unless the sidecar took it. */
  async invokeBinding(name: string, operation: string, data: unknown, metadata: Record<string, string> = {}): Promise<void> {
    const res = await this.send(`/v1.0/bindings/${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ operation, data, metadata }),
      timeoutMs: this.invokeTimeoutMs,
    });
    if (!res.ok) throw new Error(`binding ${name} ${operation} failed: ${res.status} ${(await res.text()).slice(0, 300)}`);
  }

  /** Calls a method of a virtual actor (placed by the placement service on whichever app hosts the type). */
  async callActor<T>(actorType: string, actorId: string, method: string, body?: unknown): Promise<T> {
    const res = await this.send(
      `/v1.0/actors/${actorType}/${encodeURIComponent(actorId)}/method/${method}`,
      withJson({ method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) }),
    );
    return parseOrThrow<T>(res, `actor ${actorType}/${actorId}.${method}`);
  }

  /**
   * Saves one key to a state store. `firstWrite` makes it "create only": the write fails when
   * the key already exists (Dapr first-write concurrency). Returns false on such a refusal.
   */
  async saveState(store: string, key: string, value: unknown, options: { firstWrite?: boolean; ttlSeconds?: number; etag?: string } = {}): Promise<boolean> {
    const item = {
      key,
      value,
      ...(options.etag ? { etag: options.etag } : {}),
      ...(options.firstWrite ? { options: { concurrency: 'first-write' } } : {}),
      ...(options.ttlSeconds ? { metadata: { ttlInSeconds: String(options.ttlSeconds) } } : {}),
    };
    const res = await this.send(`/v1.0/state/${store}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([item]),
    });
    if (res.ok) return true;
    const text = await res.text();
    if (options.firstWrite && (res.status === 409 || /failed to set key|etag/i.test(text))) return false;
    throw new Error(`state save ${store}/${key} failed: ${res.status} ${text.slice(0, 200)}`);
  }

  async getState<T>(store: string, key: string): Promise<T | undefined> {
    return (await this.getStateWithEtag<T>(store, key))?.value;
  }

  /** The value and its ETag (needed to overwrite a key written with first-write concurrency). */
  async getStateWithEtag<T>(store: string, key: string): Promise<{ value: T; etag: string } | undefined> {
    const res = await this.send(`/v1.0/state/${store}/${encodeURIComponent(key)}`);
    if (res.status === 204) return undefined;
    if (!res.ok) throw new Error(`state get ${store}/${key} failed: ${res.status}`);
    const text = await res.text();
    return text ? { value: JSON.parse(text) as T, etag: res.headers.get('etag') ?? '' } : undefined;
  }

  async deleteState(store: string, key: string): Promise<void> {
    const res = await this.send(`/v1.0/state/${store}/${encodeURIComponent(key)}`, { method: 'DELETE' });
    if (!res.ok) throw new Error(`state delete ${store}/${key} failed: ${res.status}`);
  }

  /** True once the sidecar can make outbound calls (does not wait for this app, avoiding a cycle). */
  async outboundReady(): Promise<void> {
    const res = await this.send('/v1.0/healthz/outbound');
    if (!res.ok) throw new Error(`sidecar outbound health ${res.status}`);
  }
}

/** Dapr app ids (and `id.namespace`): what an invocation may name. */
const APP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Anything the URL parser, daprd or the callee's sidecar would read as another path: raw or
 * escaped slash and backslash, NUL and controls (WHATWG URLs drop tabs and newlines), `#`. */
const UNSAFE_IN_PATH = /[\x00-\x20\x7f\\#]|%(?:2f|5c|[01][0-9a-f]|7f)/i;
/** A `.` or `..` segment in any spelling WHATWG URLs resolve (`%2e`, `.%2E`, ...). */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

/**
 * `/v1.0/invoke/<appId>/method/<path>?<query>` for a call to another app. Throws for a path that
 * would not reach `appId`'s own route as written: undici parses the URL by WHATWG rules (which
 * resolve `..`, `%2e%2e` and `\`), and daprd decodes the method and runs path.Clean on it. The
 * query is passed on unchanged. Callers build paths from validated values with
 * encodeURIComponent, so a refusal here is a bug (or an unvalidated value) and fails loudly.
 */
export function invocationPath(appId: string, path: string): string {
  if (!APP_ID.test(appId)) throw new Error(`sidecar invoke: not an app id: ${JSON.stringify(appId)}`);
  const method = path.startsWith('/') ? path.slice(1) : path;
  const queryAt = method.indexOf('?');
  const methodPath = queryAt < 0 ? method : method.slice(0, queryAt);
  if (UNSAFE_IN_PATH.test(methodPath) || DOT_SEGMENT.test(methodPath) || (queryAt >= 0 && method.includes('#', queryAt))) {
    throw new Error(`sidecar invoke ${appId}: refusing a path that would not stay on the app's route: ${JSON.stringify(path.slice(0, 200))}`);
  }
  return `/v1.0/invoke/${appId}/method/${method}`;
}

function withJson(init: SidecarInit): SidecarInit {
  const headers = { ...plainHeaders(init.headers) };
  if (init.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  headers.accept = 'application/json';
  return { ...init, headers };
}

async function parseOrThrow<T>(res: SidecarResponse, what: string): Promise<T> {
  const text = await res.text();
  const body = text ? safeJson(text) : undefined;
  if (res.ok) return body as T;
  const detail = typeof body === 'object' && body && 'detail' in body ? String((body as { detail: unknown }).detail) : text.slice(0, 300);
  // 4xx from the callee is passed on, and so is a 503 with its Retry-After (the callee, or a
  // dependency of it, is briefly out: retrying helps); anything else means it failed (502).
  const retryAfter = res.headers.get('retry-after');
  if (res.status === 503 && retryAfter) throw new HttpProblem(503, `${what}: ${detail}`, { headers: { 'retry-after': retryAfter }, extensions: { upstream_status: 503 } });
  const status = res.status >= 400 && res.status < 500 ? res.status : 502;
  throw new HttpProblem(status, `${what}: ${detail}`, { extensions: { upstream_status: res.status } });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

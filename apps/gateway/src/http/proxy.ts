import type { Context, Next } from 'koa';
import type { Sidecar, SidecarResponse } from '../../../../kernel/dapr/sidecar';
import { HttpProblem } from '../../../../kernel/problem';
import { appFor } from '../domain/routing';
import { clientIp } from '../domain/client-address';

/** Request headers passed to services; everything else (cookies, hop-by-hop) stays at the edge. */
const FORWARDED_REQUEST_HEADERS = [
  'accept', 'content-type', 'authorization', 'idempotency-key', 'if-match', 'if-none-match', 'traceparent', 'tracestate', 'stripe-signature',
  'x-cart-id', // a guest cart's capability (apps/cart)
];
/** Response headers passed back to the client. */
const FORWARDED_RESPONSE_HEADERS = [
  'content-type', 'etag', 'cache-control', 'location', 'retry-after', 'last-modified', 'vary', 'www-authenticate', 'idempotent-replayed',
];

/**
 * Forwards a public request to the owning service through the gateway's sidecar (Dapr
 * service invocation: mDNS name resolution, retries and circuit breakers from the resiliency
 * spec, mTLS on Kubernetes). The body is forwarded as the exact bytes received.
 */
export function proxyToServices(sidecar: Sidecar, timeoutMs: number, trustProxy: boolean) {
  return async function proxy(ctx: Context, next: Next): Promise<void> {
    const appId = appFor(ctx.path);
    // Not a service's path: the gateway's own routes (GET /openapi.json) or a 404 problem.
    if (!appId) return next();

    const headers: Record<string, string> = {
      'x-request-id': ctx.state.requestId,
      // Set here, never passed through: services throttle sign-ins per client address and trust
      // this header only on requests relayed by the gateway (dapr-caller-app-id: gateway).
      'x-forwarded-for': clientIp(ctx.request.ip, ctx.get('x-forwarded-for') || undefined, trustProxy),
    };
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = ctx.get(name);
      if (value) headers[name] = value;
    }
    let res: SidecarResponse;
    try {
      res = await sidecar.invoke(appId, ctx.url, {
        method: ctx.method,
        headers,
        body: ctx.request.rawBody && ctx.request.rawBody.length > 0 ? ctx.request.rawBody : undefined,
        timeoutMs,
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') throw new HttpProblem(504, `${appId} did not answer within ${timeoutMs} ms.`);
      ctx.state.log.warn({ err, app_id: appId }, 'service invocation failed');
      throw new HttpProblem(502, `${appId} could not be reached.`);
    }
    const body = await res.bytes();
    // Dapr answers 500 with its own JSON when the target app is down or unknown: say so plainly.
    if (res.status >= 500 && res.headers.get('dapr-app-id') === null && !res.headers.get('content-type')?.includes('problem+json')) {
      ctx.state.log.warn({ app_id: appId, status: res.status, body: body.toString('utf8', 0, 300) }, 'sidecar error');
      throw new HttpProblem(503, `${appId} is unavailable.`, { headers: { 'retry-after': '1' } });
    }
    ctx.status = res.status;
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = res.headers.get(name);
      if (!value) continue;
      // Vary is added to, not replaced: the CORS policy has already put Origin in it.
      if (name === 'vary') ctx.vary(value);
      else ctx.set(name, value);
    }
    ctx.body = body.length > 0 ? body : null;
    if (body.length === 0) ctx.status = res.status; // Koa resets the status to 204 when the body is null
  };
}

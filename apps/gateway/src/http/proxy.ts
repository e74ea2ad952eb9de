import type { Context, Next } from 'koa';
import type { Sidecar, SidecarResponse } from '../../../../kernel/dapr/sidecar';
import { HttpProblem, outageOf, outageProblem } from '../../../../kernel/problem';
import { OPENAPI_PATH } from '../../../../kernel/http/openapi';
import { matchRoute } from '../domain/routing';
import { clientIp } from '../domain/client-address';
import { EdgeRefusal, edgeTargetOf } from './canonical-paths';

/** Request headers passed to services; everything else (cookies, hop-by-hop) stays at the edge. */
const FORWARDED_REQUEST_HEADERS = [
  'accept', 'content-type', 'authorization', 'idempotency-key', 'if-match', 'if-none-match', 'traceparent', 'tracestate', 'stripe-signature',
  'x-cart-id', // a guest cart's capability (apps/cart)
  'x-consistency-token', // read-your-writes with the read replica (kernel/store/read-replica.ts)
];
/** Response headers passed back to the client. */
const FORWARDED_RESPONSE_HEADERS = [
  'content-type', 'etag', 'cache-control', 'location', 'retry-after', 'last-modified', 'vary', 'www-authenticate', 'idempotent-replayed',
  'x-consistency-token',
];

/** An answer that broke off on its way from the service: retryable (the client repeats with its Idempotency-Key). */
function answerCutOff(appId: string): HttpProblem {
  return new HttpProblem(503, `${appId} did not answer completely.`, { headers: { 'retry-after': '1' } });
}

/**
 * Forwards a public request to the service the allowlist (domain/routing.ts) names for its
 * method and path, through the gateway's sidecar (Dapr service invocation:
 * `/v1.0/invoke/<app>/method/<path>`, mDNS name resolution, retries from the resiliency spec,
 * mTLS on Kubernetes). Only a canonical path (canonical-paths.ts) is ever sent, with the raw
 * query string; the body is forwarded as the exact bytes received. A path the allowlist does
 * not name is 404 and one it names for other methods 405, and no service is called.
 */
export function proxyToServices(sidecar: Sidecar, timeoutMs: number, trustProxy: boolean) {
  return async function proxy(ctx: Context, next: Next): Promise<void> {
    const target = edgeTargetOf(ctx);
    if (target.path === OPENAPI_PATH) {
      // The gateway's own route, mounted by the kernel after this router.
      if (ctx.method === 'GET' || ctx.method === 'HEAD') return next();
      throw new EdgeRefusal(405, `This path does not take ${ctx.method}.`, { headers: { allow: 'GET, HEAD' } });
    }
    const match = matchRoute(ctx.method, target.path);
    if (match.kind === 'none') throw new EdgeRefusal(404, 'No public route has this path.');
    if (match.kind === 'method') {
      throw new EdgeRefusal(405, `This path does not take ${ctx.method}.`, { headers: { allow: match.allow.join(', ') } });
    }
    const appId = match.route.appId;

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
      res = await sidecar.invoke(appId, target.query ? `${target.path}?${target.query}` : target.path, {
        // HEAD is a GET whose body Koa leaves out: services and their access policies know GET.
        method: ctx.method === 'HEAD' ? 'GET' : ctx.method,
        headers,
        body: ctx.request.rawBody && ctx.request.rawBody.length > 0 ? ctx.request.rawBody : undefined,
        timeoutMs,
      });
    } catch (err) {
      // A service too slow to answer is unavailable for now (503 + Retry-After, as any outage):
      // the client repeats with its Idempotency-Key and gets the one result, done once.
      if ((err as Error).name === 'TimeoutError') throw new HttpProblem(503, `${appId} did not answer within ${timeoutMs} ms; retry.`, { headers: { 'retry-after': '2' } });
      ctx.state.log.warn({ err, app_id: appId }, 'service invocation failed');
      // The gateway's own sidecar down or not answering is an outage (503, retry), not a bad gateway.
      const outage = outageOf(err);
      if (outage) throw outageProblem(outage);
      // The answer broke off on the way (the app or its sidecar died mid-answer): whether the
      // request took effect is unknown, so the client retries, with its Idempotency-Key.
      throw answerCutOff(appId);
    }
    const body = await res.bytes();
    // Every service answers a 2xx other than 204 with a body. An empty one is an answer cut off
    // between the app and its sidecar (the app killed after its status line: daprd has already
    // passed the status on): retryable, never a success without its content.
    if (body.length === 0 && res.ok && res.status !== 204) {
      ctx.state.log.warn({ app_id: appId, status: res.status }, 'service answer without its body');
      throw answerCutOff(appId);
    }
    // Every app answers a failure as problem+json (kernel/http/app.ts). Any other failure is the
    // sidecar's own JSON ({"errorCode": ...}: the app is down or unknown, an access policy said
    // no), which names internals: it is logged here and never passed on.
    if (res.status >= 400 && !res.headers.get('content-type')?.includes('problem+json')) {
      ctx.state.log.warn({ app_id: appId, status: res.status, body: body.toString('utf8', 0, 300) }, 'sidecar error');
      if (res.status >= 500) throw new HttpProblem(503, `${appId} is unavailable.`, { headers: { 'retry-after': '1' } });
      throw new HttpProblem(502, `${appId} refused the gateway's call.`);
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

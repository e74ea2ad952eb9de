/**
 * W3C trace context (traceparent, tracestate) carried through a request's own work. Dapr's
 * sidecars make the spans and export them, but a trace continues past an app only if the app
 * sends the context it received on the calls it makes while serving: otherwise every hop starts
 * a trace of its own. The HTTP layer (kernel/http/app.ts) runs each request inside its context;
 * the sidecar client (kernel/dapr/sidecar.ts) adds it to every call made meanwhile. Work that
 * runs later, outside the request (a saga's activities), enters the context it stored with
 * `withTrace`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

/** version-traceid-parentid-flags, lowercase hex; an all-zero trace or parent id is invalid. */
const TRACEPARENT = /^[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
/** tracestate: at most 512 characters of printable ASCII (W3C's limit a receiver must keep). */
const TRACESTATE = /^[\x20-\x7e]{1,512}$/;

const storage = new AsyncLocalStorage<TraceContext>();

/** The context in these headers, or undefined when traceparent is missing or malformed (then tracestate is dropped too, as W3C says). */
export function traceContextOf(traceparent: string | null | undefined, tracestate?: string | null): TraceContext | undefined {
  if (!traceparent || !TRACEPARENT.test(traceparent) || traceparent.startsWith('ff')) return undefined;
  return tracestate && TRACESTATE.test(tracestate) ? { traceparent, tracestate } : { traceparent };
}

/** Runs `fn` with `trace` as the current context (or with none). */
export function withTrace<T>(trace: TraceContext | undefined, fn: () => T): T {
  return trace ? storage.run(trace, fn) : storage.exit(fn);
}

export function currentTrace(): TraceContext | undefined {
  return storage.getStore();
}

/** The headers that carry the current context on an outgoing call ({} outside any). */
export function traceHeaders(): Record<string, string> {
  const trace = storage.getStore();
  if (!trace) return {};
  return trace.tracestate ? { traceparent: trace.traceparent, tracestate: trace.tracestate } : { traceparent: trace.traceparent };
}

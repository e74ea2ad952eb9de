/**
 * RFC 9457 problem details: the one error shape of every service and the gateway.
 * Throw an HttpProblem anywhere in a handler; the error middleware renders it as
 * `application/problem+json`. Anything else thrown becomes a logged 500 without internals.
 */
export interface ValidationIssue {
  /** JSON pointer into the request part, e.g. `/body/items/0/quantity`. */
  pointer: string;
  detail: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: ValidationIssue[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 412: 'Precondition Failed', 413: 'Content Too Large',
  415: 'Unsupported Media Type', 422: 'Unprocessable Content', 428: 'Precondition Required',
  429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export class HttpProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    detail: string,
    options: { type?: string; title?: string; extensions?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.status = status;
    this.type = options.type ?? 'about:blank';
    this.title = options.title ?? TITLES[status] ?? 'Error';
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  toBody(instance?: string): ProblemBody {
    return { type: this.type, title: this.title, status: this.status, detail: this.message, instance, ...this.extensions };
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function validationProblem(errors: ValidationIssue[]): HttpProblem {
  return new HttpProblem(400, 'The request does not match the schema.', {
    type: 'https://problems.dapr-commerce.dev/validation',
    title: 'Invalid request',
    extensions: { errors },
  });
}

export function notFound(detail = 'No such resource.'): HttpProblem {
  return new HttpProblem(404, detail);
}

/** A dependency that is down or refusing work: the request may succeed if retried shortly. */
export interface Outage {
  /** Which dependency: `postgres`, `dapr` (the sidecar or a building block behind it, e.g. the state store). */
  dependency: 'postgres' | 'dapr' | 'dependency';
  /** What was seen (an error code or SQLSTATE), for the log and the problem. */
  reason: string;
  /** Seconds a client should wait before retrying. */
  retryAfterSeconds: number;
}

/** Socket errors of a dependency that does not answer (refused, reset, unreachable, timed out). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
]);
/** undici's (the sidecar client's) own codes for a connection that failed or closed. */
const UNDICI_CODES = new Set(['UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/**
 * SQLSTATEs meaning "the server cannot take this now": class 08 (connection exception),
 * 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting, stopping,
 * recovering), 53300 too_many_connections, 53400 configuration_limit_exceeded.
 */
const PG_UNAVAILABLE = /^(08[0-9A-Z]{3}|57P0[123]|53300|53400)$/;
/** node-postgres and pg-pool messages for a connection that broke or never came. */
const PG_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end)/;
/** Sidecar state calls (kernel/dapr/sidecar.ts) answered 5xx: the state store behind the sidecar failed. */
const STATE_FAILURE = /^state (save|get|delete) \S+ failed: 5\d\d\b/;

/**
 * Whether `err` means a dependency is unavailable (PostgreSQL down, restarting or out of
 * connections; the sidecar unreachable or not answering; the state store behind it failing)
 * rather than a bug. Looks through `cause` chains and AggregateErrors (Node's happy-eyeballs
 * connect). Such a failure is answered 503 with Retry-After by errorsAsProblems.
 */
export function outageOf(
  err: unknown,
  sidecarPort = Number(process.env.DAPR_HTTP_PORT) || undefined,
  depth = 0,
  postgresPort = Number(process.env.PG_PORT) || 15432,
): Outage | undefined {
  if (!err || typeof err !== 'object' || depth > 5) return undefined;
  const e = err as { code?: unknown; port?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown; severity?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  // A pg server error carries a SQLSTATE and a severity.
  if (PG_UNAVAILABLE.test(code)) {
    return { dependency: 'postgres', reason: code, retryAfterSeconds: code.startsWith('53') ? 1 : 2 };
  }
  if (PG_MESSAGES.test(message)) return { dependency: 'postgres', reason: message.slice(0, 80), retryAfterSeconds: 2 };
  if (CONNECTION_CODES.has(code)) {
    const port = Number(e.port);
    const dependency = sidecarPort !== undefined && port === sidecarPort ? 'dapr' : port === postgresPort ? 'postgres' : 'dependency';
    return { dependency, reason: code, retryAfterSeconds: 2 };
  }
  if (UNDICI_CODES.has(code)) return { dependency: 'dapr', reason: code, retryAfterSeconds: 2 };
  if (e.name === 'TimeoutError' && message.startsWith('sidecar ')) return { dependency: 'dapr', reason: 'timeout', retryAfterSeconds: 2 };
  if (STATE_FAILURE.test(message)) return { dependency: 'dapr', reason: 'state store', retryAfterSeconds: 1 };
  for (const inner of Array.isArray(e.errors) ? e.errors : []) {
    const found = outageOf(inner, sidecarPort, depth + 1, postgresPort);
    if (found) return found;
  }
  return outageOf(e.cause, sidecarPort, depth + 1, postgresPort);
}

const OUTAGE_DETAIL: Record<Outage['dependency'], string> = {
  postgres: 'The database is unavailable; retry shortly.',
  dapr: 'A platform dependency (the Dapr sidecar or a store behind it) is unavailable; retry shortly.',
  dependency: 'A dependency is unavailable; retry shortly.',
};

/** The 503 a client gets for an outage: problem+json with Retry-After, no internals. */
export function outageProblem(outage: Outage): HttpProblem {
  return new HttpProblem(503, OUTAGE_DETAIL[outage.dependency], {
    type: 'https://problems.dapr-commerce.dev/dependency-unavailable',
    title: 'Service Unavailable',
    extensions: { dependency: outage.dependency },
    headers: { 'retry-after': String(outage.retryAfterSeconds) },
  });
}

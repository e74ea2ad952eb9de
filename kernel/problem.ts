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

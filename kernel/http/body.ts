import type { Context, Next } from 'koa';
import getRawBody from 'raw-body';
import { HttpProblem, validationProblem } from '../problem';
import { inspectJson } from '../validation';

declare module 'koa' {
  interface Request {
    /** The exact bytes received (webhook signatures are computed over these). */
    rawBody?: Buffer;
    /** The parsed JSON body, or undefined when the request had none. */
    body?: unknown;
  }
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/** JSON is UTF-8 (RFC 8259); bytes that are not are refused rather than silently replaced with U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Reads the body once, within a size limit, keeps the raw bytes and parses JSON.
 * Bad JSON or bytes that are not UTF-8 are the client's fault (400), a body that is too large
 * is 413, a body in another media type or a compressed one is 415 — never a 500. Parsed JSON
 * is then checked for what no schema should have to say (`inspectJson`: nesting deeper than
 * MAX_JSON_DEPTH, NUL or unpaired surrogates in any string or property name): 400 with the
 * JSON pointers, before any route sees it. Whether the body is an object, and what is in it,
 * is the route's schema's business (400 with pointers, from readInput).
 */
export function bodyParser(limitBytes: number) {
  return async function parseBody(ctx: Context, next: Next): Promise<void> {
    if (!METHODS_WITH_BODY.has(ctx.method)) return next();
    const length = ctx.request.length;
    const chunked = ctx.get('transfer-encoding') !== '';
    if (!length && !chunked) return next();
    let raw: Buffer;
    try {
      raw = await getRawBody(ctx.req, { limit: limitBytes, length: length || undefined });
    } catch (err) {
      const type = (err as { type?: string }).type;
      if (type === 'entity.too.large') throw new HttpProblem(413, `The body is larger than ${limitBytes} bytes.`);
      throw new HttpProblem(400, 'The request body could not be read.');
    }
    ctx.request.rawBody = raw;
    if (raw.length === 0) return next();
    if (!isJson(ctx.get('content-type'))) {
      throw new HttpProblem(415, 'Send the body as application/json.');
    }
    const encoding = ctx.get('content-encoding').trim().toLowerCase();
    if (encoding !== '' && encoding !== 'identity') throw new HttpProblem(415, 'Send the body uncompressed (no Content-Encoding).');
    let text: string;
    try {
      text = utf8.decode(raw);
    } catch {
      throw new HttpProblem(400, 'The body is not valid UTF-8.', { type: 'https://problems.dapr-commerce.dev/malformed-json' });
    }
    try {
      ctx.request.body = JSON.parse(text);
    } catch {
      throw new HttpProblem(400, 'The body is not valid JSON.', { type: 'https://problems.dapr-commerce.dev/malformed-json' });
    }
    const issues = inspectJson(ctx.request.body, 'body');
    if (issues.length > 0) throw validationProblem(issues);
    return next();
  };
}

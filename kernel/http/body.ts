import type { Context, Next } from 'koa';
import getRawBody from 'raw-body';
import { HttpProblem } from '../problem';

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

/**
 * Reads the body once, within a size limit, keeps the raw bytes and parses JSON.
 * Bad JSON is the client's fault (400), a body that is too large is 413, and a body in
 * another media type is 415 — never a 500.
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
    try {
      ctx.request.body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new HttpProblem(400, 'The body is not valid JSON.', { type: 'https://problems.dapr-commerce.dev/malformed-json' });
    }
    return next();
  };
}

import net from 'node:net';

/** An HTTP/1.1 answer as read off the socket. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends one request with exactly `target` as its request target, over a plain TCP socket:
 * fetch and undici normalise paths (WHATWG URL rules resolve `%2e%2e` and `\`), and node:http
 * refuses some characters, so neither could send the tricks a client can.
 */
export function rawRequest(port: number, method: string, target: string, options: { headers?: Record<string, string>; body?: string; host?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, options.host ?? '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(15_000, () => socket.destroy(new Error(`no answer to ${method} ${JSON.stringify(target)}`)));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(parse(Buffer.concat(chunks)));
      } catch (err) {
        reject(err);
      }
    });
    const body = options.body ?? '';
    const headers = { host: 'localhost', connection: 'close', ...(body || method === 'POST' || method === 'PUT' ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...options.headers };
    const head = [`${method} ${target} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
    // latin1: each character of the target is sent as the one byte it stands for. Not end():
    // a client that half-closes before its answer is written gets none; the server closes
    // (`connection: close`) once it has answered.
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body)]));
  });
}

function parse(raw: Buffer): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`not an HTTP answer: ${JSON.stringify(raw.toString('latin1').slice(0, 200))}`);
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(statusLine!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding']?.includes('chunked')) {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = body.indexOf('\r\n', at);
      const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (!size) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  }
  return { status, headers, body: body.toString('utf8') };
}

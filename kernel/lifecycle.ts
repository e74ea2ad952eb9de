import http from 'node:http';
import type Koa from 'koa';
import type { Logger } from './logger';
import type { Readiness } from './health';

export interface RunningService {
  server: http.Server;
  /** Graceful stop: not ready, stop accepting, finish in-flight requests, then close resources. */
  stop(): Promise<void>;
}

/** What Node's HTTP parser refuses before any middleware runs, as the status a client should see. */
function parseErrorStatus(code: string | undefined): { status: number; title: string } {
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, title: 'Request Header Fields Too Large' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT') return { status: 408, title: 'Request Timeout' };
  return { status: 400, title: 'Bad Request' };
}

/**
 * A request Node's HTTP parser refuses (a raw NUL, tab or non-ASCII byte in the target, a
 * malformed header, headers too large) never reaches Koa; Node would answer a bare 400 with no
 * body. Every error of this API is problem+json, so this one is too (then the socket closes:
 * after a parse error the connection's framing cannot be trusted).
 */
function answerParseError(err: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  if (!socket.writable || (err as { code?: string }).code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const { status, title } = parseErrorStatus(err.code);
  const body = JSON.stringify({ type: 'about:blank', title, status, detail: 'The request could not be parsed as HTTP.' });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * Listens, and on SIGTERM/SIGINT shuts down gracefully: /readyz turns 503 at once, the server
 * stops accepting, idle keep-alive sockets close, in-flight requests get `graceMs` to finish,
 * then `onClose` hooks release pools and clients (in reverse order of registration).
 */
export async function serve(options: {
  app: Koa;
  port: number;
  host: string;
  logger: Logger;
  readiness: Readiness;
  graceMs: number;
  onClose?: Array<() => Promise<void>>;
  handleSignals?: boolean;
}): Promise<RunningService> {
  const server = http.createServer(options.app.callback());
  server.keepAliveTimeout = 65_000; // longer than typical proxies' idle timeout, avoiding reset races
  server.headersTimeout = 66_000;
  server.on('clientError', answerParseError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  options.logger.info({ host: options.host, port: options.port }, 'listening');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      options.readiness.markShuttingDown();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), options.graceMs);
      await closed;
      clearTimeout(timer);
      for (const close of [...(options.onClose ?? [])].reverse()) {
        await close().catch((err) => options.logger.warn({ err }, 'error while closing a resource'));
      }
      options.logger.info('stopped');
    })());

  if (options.handleSignals !== false) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        options.logger.info({ signal }, 'shutting down');
        stop().then(
          () => process.exit(0),
          (err) => {
            options.logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      });
    }
  }
  return { server, stop };
}

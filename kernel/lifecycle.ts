import http from 'node:http';
import type Koa from 'koa';
import type { Logger } from './logger';
import type { Readiness } from './health';

export interface RunningService {
  server: http.Server;
  /** Graceful stop: not ready, stop accepting, finish in-flight requests, then close resources. */
  stop(): Promise<void>;
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

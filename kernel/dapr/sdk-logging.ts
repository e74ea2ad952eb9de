import { ConsoleLoggerService } from '@dapr/dapr';
import type { Logger } from '../logger';

/**
 * The Dapr JS SDK's workflow engine (its bundled durabletask client) builds its loggers without
 * options, so they always print at INFO to the console: four unstructured lines per workflow
 * step. This sends every SDK log line into our pino logger instead — SDK info and below at
 * debug, warnings and errors as such — so they are JSON, carry the service name, and cost
 * nothing at the default level.
 */
export function routeSdkLogsTo(logger: Logger): void {
  const sdk = logger.child({ component: 'dapr-sdk' });
  const text = (message: unknown, rest: unknown[]) => [message, ...rest].map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
  const proto = ConsoleLoggerService.prototype as unknown as Record<string, (message: unknown, ...rest: unknown[]) => void>;
  proto.error = (m, ...r) => sdk.error(text(m, r));
  proto.warn = (m, ...r) => sdk.warn(text(m, r));
  proto.info = (m, ...r) => sdk.debug(text(m, r));
  proto.verbose = (m, ...r) => sdk.trace(text(m, r));
  proto.debug = (m, ...r) => sdk.trace(text(m, r));
}

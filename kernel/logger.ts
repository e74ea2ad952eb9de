import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino blanks out before a line is written. Secrets must never reach the logs
 * (passwords, tokens, card data, signatures), wherever they sit in a logged object.
 */
const REDACT = [
  'password', '*.password', 'token', '*.token', 'access_token', '*.access_token', 'refresh_token', '*.refresh_token',
  'secret', '*.secret', 'card', '*.card', 'client_secret', '*.client_secret',
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["stripe-signature"]', 'headers.authorization',
];

export function createLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  });
}

import { envInt } from '../../../kernel/config';
import type { TokenPolicy } from './domain/tokens';
import type { ThrottlePolicy } from './domain/throttle';
import type { HashGateOptions } from './domain/hash-gate';
import type { HashBudgetOptions } from './domain/hash-budget';
import type { ResetPolicy } from './domain/password-reset';

/** The user service's own settings (README, "Configuration"). */
export function userConfig() {
  const tokens: TokenPolicy = {
    accessTtlSeconds: envInt('ACCESS_TOKEN_TTL_SECONDS', 900),
    refreshTtlSeconds: envInt('REFRESH_TOKEN_TTL_SECONDS', 30 * 24 * 3600),
  };
  const throttle: ThrottlePolicy = {
    windowSeconds: envInt('LOGIN_THROTTLE_WINDOW_SECONDS', 900),
    // The name is kept for existing deployments; it now counts per account *and* address (domain/throttle.ts).
    maxFailuresPerAccountAndAddress: envInt('LOGIN_MAX_FAILURES_PER_ACCOUNT', 5),
    maxFailuresPerAddress: envInt('LOGIN_MAX_FAILURES_PER_ADDRESS', 50),
    slowDownAfterAccountFailures: envInt('LOGIN_SLOWDOWN_AFTER_ACCOUNT_FAILURES', 10),
    // Below the 10 s invocation timeout, with room for the hash and the queue in front of it.
    maxDelayMs: envInt('LOGIN_SLOWDOWN_MAX_MS', 3000),
  };
  // Sized for this 2-core machine: two scrypt hashes at once keep both cores busy and leave
  // libuv's other threads free; 32 waiting are ~2 s of work (140 ms a hash), well below the timeout.
  const hashGate: HashGateOptions = {
    concurrency: envInt('USER_HASH_CONCURRENCY', 2),
    maxQueue: envInt('USER_HASH_QUEUE', 32),
  };
  const hashBudget: HashBudgetOptions = {
    perMinute: envInt('USER_HASH_BUDGET_PER_MINUTE', 300),
    burst: envInt('USER_HASH_BUDGET_BURST', 60),
  };
  const passwordReset: ResetPolicy = {
    ttlSeconds: envInt('PASSWORD_RESET_TTL_SECONDS', 1800),
    perWindow: envInt('PASSWORD_RESET_PER_WINDOW', 3),
    windowSeconds: envInt('PASSWORD_RESET_WINDOW_SECONDS', 3600),
  };
  return {
    tokens,
    passwordReset,
    throttle,
    hashGate,
    hashBudget,
    keySealingSecret: process.env.USER_KEY_ENCRYPTION_SECRET,
    rotateKeysAfterSeconds: envInt('SIGNING_KEY_ROTATE_AFTER_SECONDS', 30 * 24 * 3600),
  };
}

import { envInt } from '../../../kernel/config';
import type { TokenPolicy } from './domain/tokens';
import type { ThrottlePolicy } from './domain/throttle';

/** The user service's own settings (README, "Configuration"). */
export function userConfig() {
  const tokens: TokenPolicy = {
    accessTtlSeconds: envInt('ACCESS_TOKEN_TTL_SECONDS', 900),
    refreshTtlSeconds: envInt('REFRESH_TOKEN_TTL_SECONDS', 30 * 24 * 3600),
  };
  const throttle: ThrottlePolicy = {
    windowSeconds: envInt('LOGIN_THROTTLE_WINDOW_SECONDS', 900),
    maxFailuresPerAccount: envInt('LOGIN_MAX_FAILURES_PER_ACCOUNT', 5),
    maxFailuresPerAddress: envInt('LOGIN_MAX_FAILURES_PER_ADDRESS', 50),
  };
  return {
    tokens,
    throttle,
    keySealingSecret: process.env.USER_KEY_ENCRYPTION_SECRET,
    rotateKeysAfterSeconds: envInt('SIGNING_KEY_ROTATE_AFTER_SECONDS', 30 * 24 * 3600),
  };
}

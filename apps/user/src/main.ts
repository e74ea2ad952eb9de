import { runService } from '../../../kernel/service';
import { pgConfig } from '../../../kernel/config';
import { connectPostgres } from '../../../kernel/store/pg';
import { userConfig } from './config';
import { parseSealingSecret } from './domain/key-sealing';
import { Sessions } from './domain/sessions';
import { HashGate } from './domain/hash-gate';
import { HashBudget } from './domain/hash-budget';
import { PasswordHasher } from './domain/password-hasher';
import { migrations } from './store/migrations';
import { UserStore } from './store/users';
import { AddressStore } from './store/addresses';
import { RefreshTokenStore } from './store/refresh-tokens';
import { SigningKeyStore } from './store/signing-keys';
import { LoginFailureStore } from './store/login-failures';
import { authRoutes } from './http/auth-routes';
import { userRoutes } from './http/user-routes';

runService({
  name: 'user',
  defaultPort: 8008,
  async setup(ctx) {
    const config = userConfig();
    const pool = await connectPostgres(ctx, pgConfig(), 'users', migrations);
    const keys = new SigningKeyStore(pool, parseSealingSecret(config.keySealingSecret), {
      rotateAfterSeconds: config.rotateKeysAfterSeconds,
      // Retired keys stay published until every token they signed has expired (plus clock skew).
      retainSeconds: config.tokens.accessTtlSeconds + 300,
    });
    await keys.active(); // creates the first key at first start, rotates an old one
    const users = new UserStore(pool);
    // One gate and one budget per process: they guard this replica's CPU (domain/hash-gate.ts).
    const hasher = new PasswordHasher(new HashGate(config.hashGate));
    const budget = new HashBudget(config.hashBudget);
    const sessions = new Sessions({
      users,
      refreshTokens: new RefreshTokenStore(pool, config.tokens.refreshTtlSeconds),
      keys,
      failures: new LoginFailureStore(pool, config.throttle),
      hasher,
      tokens: config.tokens,
      throttle: config.throttle,
    });
    return {
      routes: [...authRoutes({ users, sessions, keys, hasher, budget }), ...userRoutes({ users, addresses: new AddressStore(pool) })],
      // The user service verifies tokens against its own keys, not through its sidecar.
      jwks: () => keys.jwks(),
    };
  },
});

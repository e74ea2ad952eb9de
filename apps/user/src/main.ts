import { runService } from '../../../kernel/service';
import { pgConfig } from '../../../kernel/config';
import { connectPostgres } from '../../../kernel/store/pg';
import { userConfig } from './config';
import { parseSealingSecret } from './domain/key-sealing';
import { Sessions } from './domain/sessions';
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
    const sessions = new Sessions(users, new RefreshTokenStore(pool, config.tokens.refreshTtlSeconds), keys, new LoginFailureStore(pool, config.throttle), config.tokens, config.throttle);
    return {
      routes: [...authRoutes({ users, sessions, keys }), ...userRoutes({ users, addresses: new AddressStore(pool) })],
      // The user service verifies tokens against its own keys, not through its sidecar.
      jwks: () => keys.jwks(),
    };
  },
});

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
import { DEAD_LETTER_MIGRATION, DeadLetterStore } from '../../../kernel/store/dead-letters';
import { SentMailStore } from './store/sent-mail';
import { PasswordResetStore } from './store/password-resets';
import { PasswordResets } from './domain/password-reset';
import { passwordResetMail } from './domain/mail';
import { orderMailSubscriptions, sendKeyed } from './events/order-mail';

runService({
  name: 'user',
  defaultPort: 8008,
  async setup(ctx) {
    const config = userConfig();
    const pool = await connectPostgres(ctx, pgConfig(), 'users', [...migrations, DEAD_LETTER_MIGRATION]);
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
    // E-mail goes out through the sidecar's SMTP binding, each keyed before it is sent.
    const mail = { sidecar: ctx.sidecar, users, sent: new SentMailStore(pool) };
    const resetStore = new PasswordResetStore(pool);
    const resets = new PasswordResets(
      {
        userByEmail: (email) => users.byEmail(email),
        recentCount: (id, seconds) => resetStore.recentCount(id, seconds),
        create: (id, hash, ttl) => resetStore.create(id, hash, ttl),
        consume: (hash, passwordHash) => resetStore.consume(hash, passwordHash),
        // After the answer, so nobody waits: tried a few times over ~30 s (an SMTP server restarting).
        send: async (key, message) => {
          for (let attempt = 1; ; attempt++) {
            try {
              await sendKeyed(mail, key, 'password_reset', message);
              return;
            } catch (err) {
              if (attempt === 5) throw err;
              await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
            }
          }
        },
        mail: passwordResetMail,
      },
      config.passwordReset,
    );
    return {
      routes: [
        ...authRoutes({ users, sessions, keys, hasher, budget, resets, logger: ctx.logger }),
        ...userRoutes({ users, addresses: new AddressStore(pool) }),
      ],
      subscriptions: orderMailSubscriptions(mail),
      deadLetters: new DeadLetterStore(pool),
      // The user service verifies tokens against its own keys, not through its sidecar.
      jwks: () => keys.jwks(),
    };
  },
});

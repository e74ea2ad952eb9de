import { HttpProblem } from '../../../../kernel/problem';
import type { Role } from '../../../../kernel/auth/caller';
import { DECOY_HASH, needsRehash } from './passwords';
import type { PasswordHasher } from './password-hasher';
import { signAccessToken, type TokenPolicy } from './tokens';
import { allSubjects, decideLogin, loginSubjects, type ThrottlePolicy } from './throttle';
import type { UserRow, UserStore } from '../store/users';
import type { RefreshTokenStore } from '../store/refresh-tokens';
import type { SigningKeyStore } from '../store/signing-keys';
import type { LoginFailureStore } from '../store/login-failures';

export interface TokenPair {
  token_type: 'Bearer';
  access_token: string;
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
}

/** What sign-in needs; the parts of the stores it uses (so rules are unit-tested with fakes). */
export interface SessionDeps {
  users: Pick<UserStore, 'byEmail' | 'byId' | 'update'>;
  refreshTokens: Pick<RefreshTokenStore, 'issue' | 'rotate' | 'revokeByToken'>;
  keys: Pick<SigningKeyStore, 'active'>;
  failures: Pick<LoginFailureStore, 'counts' | 'recordFailure' | 'clear'>;
  hasher: PasswordHasher;
  tokens: TokenPolicy;
  throttle: ThrottlePolicy;
  /** How the slow-down waits; a timer unless a test says otherwise. */
  sleep?: (ms: number) => Promise<void>;
}

const BAD_CREDENTIALS = 'The e-mail or password is wrong.';
const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sign-in, refresh and sign-out: the rules, over the stores. */
export class Sessions {
  private readonly users: SessionDeps['users'];
  private readonly refreshTokens: SessionDeps['refreshTokens'];
  private readonly keys: SessionDeps['keys'];
  private readonly failures: SessionDeps['failures'];
  private readonly hasher: PasswordHasher;
  private readonly tokens: TokenPolicy;
  private readonly throttle: ThrottlePolicy;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(deps: SessionDeps) {
    this.users = deps.users;
    this.refreshTokens = deps.refreshTokens;
    this.keys = deps.keys;
    this.failures = deps.failures;
    this.hasher = deps.hasher;
    this.tokens = deps.tokens;
    this.throttle = deps.throttle;
    this.sleep = deps.sleep ?? wait;
  }

  /**
   * `clientKey`: the client's address as counted (domain/client-key.ts). The throttle
   * (domain/throttle.ts) decides first, so a refused attempt costs no hash; then the slow-down
   * of an account under attack waits (outside the hash gate: a waiting attempt holds no slot).
   */
  async login(email: string, password: string, clientKey: string): Promise<TokenPair> {
    const subjects = loginSubjects(email, clientKey);
    const decision = decideLogin(await this.failures.counts(allSubjects(subjects)), subjects, this.throttle);
    if (decision.kind === 'refuse') {
      const seconds = decision.retryAfterSeconds;
      throw new HttpProblem(429, `Too many failed sign-ins; try again in ${seconds} s.`, { headers: { 'retry-after': String(seconds) } });
    }
    if (decision.delayMs > 0) await this.sleep(decision.delayMs);
    const user = await this.users.byEmail(email);
    // Verify even for an unknown e-mail, so both failures take the same time.
    const ok = await this.hasher.verify(password, user?.password_hash ?? DECOY_HASH);
    if (!user || !ok) {
      await this.failures.recordFailure(allSubjects(subjects));
      throw new HttpProblem(401, BAD_CREDENTIALS);
    }
    // The address's own count stays: a success among many failures does not excuse a sprayer.
    await this.failures.clear([subjects.pair, subjects.account]);
    if (needsRehash(user.password_hash)) await this.rehash(user, password);
    return this.issue(user, await this.refreshTokens.issue(user.id));
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const outcome = await this.refreshTokens.rotate(refreshToken);
    if (outcome.kind !== 'rotated') {
      throw new HttpProblem(401, outcome.kind === 'reused' ? 'This refresh token was already used; the session has been ended. Sign in again.' : 'The refresh token is invalid or expired.');
    }
    const user = await this.users.byId(outcome.userId);
    if (!user) throw new HttpProblem(401, 'The refresh token is invalid or expired.');
    return this.issue(user, outcome.token);
  }

  async logout(refreshToken: string): Promise<void> {
    await this.refreshTokens.revokeByToken(refreshToken, 'logout');
  }

  /** Best effort: when the hash gate is full, the upgrade waits for the next sign-in. */
  private async rehash(user: UserRow, password: string): Promise<void> {
    try {
      await this.users.update(user.id, { passwordHash: await this.hasher.hash(password) });
    } catch (err) {
      if (!(err instanceof HttpProblem && err.status === 503)) throw err;
    }
  }

  private async issue(user: UserRow, refreshToken: string): Promise<TokenPair> {
    const accessToken = await signAccessToken({ id: user.id, role: user.role as Role }, await this.keys.active(), this.tokens.accessTtlSeconds);
    return {
      token_type: 'Bearer',
      access_token: accessToken,
      expires_in: this.tokens.accessTtlSeconds,
      refresh_token: refreshToken,
      refresh_expires_in: this.tokens.refreshTtlSeconds,
    };
  }
}

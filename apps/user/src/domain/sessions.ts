import { HttpProblem } from '../../../../kernel/problem';
import type { Role } from '../../../../kernel/auth/caller';
import { DECOY_HASH, hashPassword, needsRehash, verifyPassword } from './passwords';
import { signAccessToken, type TokenPolicy } from './tokens';
import { secondsLeft, throttleSubjects, type ThrottlePolicy } from './throttle';
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

const BAD_CREDENTIALS = 'The e-mail or password is wrong.';

/** Sign-in, refresh and sign-out: the rules, over the stores. */
export class Sessions {
  constructor(
    private readonly users: UserStore,
    private readonly refreshTokens: RefreshTokenStore,
    private readonly keys: SigningKeyStore,
    private readonly failures: LoginFailureStore,
    private readonly tokens: TokenPolicy,
    private readonly throttle: ThrottlePolicy,
  ) {}

  async login(email: string, password: string, clientAddress: string): Promise<TokenPair> {
    const subjects = throttleSubjects(email, clientAddress);
    for (const { subject, limit } of subjects) {
      const since = await this.failures.blockedSince(subject, limit(this.throttle));
      if (since) {
        const wait = secondsLeft(since, this.throttle);
        throw new HttpProblem(429, `Too many failed sign-ins; try again in ${wait} s.`, { headers: { 'retry-after': String(wait) } });
      }
    }
    const user = await this.users.byEmail(email);
    // Verify even for an unknown e-mail, so both failures take the same time.
    const ok = await verifyPassword(password, user?.password_hash ?? DECOY_HASH);
    if (!user || !ok) {
      await Promise.all(subjects.map(({ subject }) => this.failures.recordFailure(subject)));
      throw new HttpProblem(401, BAD_CREDENTIALS);
    }
    await this.failures.clear(subjects[0]!.subject);
    if (needsRehash(user.password_hash)) await this.users.update(user.id, { passwordHash: await hashPassword(password) });
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

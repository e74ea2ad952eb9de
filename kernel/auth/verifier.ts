import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet } from 'jose';
import { HttpProblem } from '../problem';
import { TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER, type Caller, type Role } from './caller';

/** Where the public keys come from: the user service's JWKS (through Dapr), or its own store. */
export type JwksSource = () => Promise<JSONWebKeySet>;

const ROLES: ReadonlySet<string> = new Set<Role>(['customer', 'admin']);

function unauthorized(detail: string): HttpProblem {
  return new HttpProblem(401, detail, { headers: { 'www-authenticate': 'Bearer realm="dapr-commerce"' } });
}

/**
 * Verifies access tokens locally (no call per request): EdDSA signature against the cached
 * JWKS, issuer, audience, expiry. An unknown `kid` (a key just rotated in) refreshes the cache;
 * refreshes are at least `minRefreshMs` apart (a token with a new kid waits for the next one),
 * so garbage kids cost the user service at most one JWKS fetch per interval.
 */
export class TokenVerifier {
  private keys?: ReturnType<typeof createLocalJWKSet>;
  private fetchedAt = 0;
  private refreshing?: Promise<void>;

  private get minRefreshMs(): number {
    return this.options.minRefreshMs ?? 1000;
  }

  constructor(
    private readonly source: JwksSource,
    private readonly options: { maxAgeMs?: number; minRefreshMs?: number; clockToleranceSec?: number } = {},
  ) {}

  private async refresh(force: boolean): Promise<void> {
    const age = Date.now() - this.fetchedAt;
    const stale = age > (this.options.maxAgeMs ?? 300_000);
    if (this.keys && !stale && (!force || age < this.minRefreshMs)) return;
    this.refreshing ??= (async () => {
      try {
        this.keys = createLocalJWKSet(await this.source());
        this.fetchedAt = Date.now();
      } finally {
        this.refreshing = undefined;
      }
    })();
    await this.refreshing;
  }

  private async check(token: string) {
    return jwtVerify(token, this.keys!, {
      algorithms: [TOKEN_ALGORITHM],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      clockTolerance: this.options.clockToleranceSec ?? 5,
      requiredClaims: ['sub', 'exp', 'iat'],
    });
  }

  async verify(token: string): Promise<Caller> {
    try {
      await this.refresh(false);
    } catch {
      throw new HttpProblem(503, 'Tokens cannot be verified right now.', { headers: { 'retry-after': '1' } });
    }
    let result;
    try {
      result = await this.check(token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey) {
        const wait = this.fetchedAt + this.minRefreshMs - Date.now();
        // +5 ms: timers may fire a millisecond early by Date.now(), which would skip the refresh.
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 5));
        await this.refresh(true).catch(() => undefined);
        result = await this.check(token).catch((again) => {
          throw unauthorized(describe(again));
        });
      } else {
        throw unauthorized(describe(err));
      }
    }
    const { sub, role } = result.payload;
    if (typeof sub !== 'string' || typeof role !== 'string' || !ROLES.has(role)) throw unauthorized('The token has no valid subject or role.');
    return { id: sub, role: role as Role };
  }
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'The access token has expired.';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'The token is not signed with an accepted algorithm.';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'The token signature is invalid.';
  if (err instanceof errors.JWTClaimValidationFailed) return `The token is not valid here (${err.claim}).`;
  return 'The access token is invalid.';
}

/** The bearer token of a request, or undefined. A malformed header is a 401, not ignored. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(header.trim());
  if (!match) throw unauthorized('Send the access token as "Authorization: Bearer <token>".');
  return match[1];
}

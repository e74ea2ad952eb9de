import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, type KeyLike } from 'jose';
import { TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER, type Role } from '../../../../kernel/auth/caller';

export interface TokenPolicy {
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}

/** A short-lived access token: every service verifies it locally against the JWKS. */
export async function signAccessToken(
  user: { id: string; role: Role },
  key: { kid: string; privateKey: KeyLike },
  ttlSeconds: number,
): Promise<string> {
  return new SignJWT({ role: user.role })
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(user.id)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key.privateKey);
}

/**
 * Refresh tokens are opaque random strings; only their SHA-256 is stored, so a database leak
 * yields no usable token. 256 bits of entropy make a plain hash (no salt, no KDF) sufficient.
 */
export function newRefreshToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

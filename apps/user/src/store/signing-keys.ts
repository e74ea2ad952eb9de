import type pg from 'pg';
import { exportJWK, generateKeyPair, importJWK, type JWK, type KeyLike } from 'jose';
import { TOKEN_ALGORITHM } from '../../../../kernel/auth/caller';
import { seal, unseal } from '../domain/key-sealing';
import { inTransaction, withAdvisoryLock } from '../../../../kernel/store/pg';

export interface ActiveKey {
  kid: string;
  privateKey: KeyLike;
}

interface KeyRow {
  kid: string;
  public_jwk: JWK;
  private_jwk_sealed: string;
  created_at: Date;
  retired_at: Date | null;
}

/**
 * Ed25519 signing keys with rotation. The newest unretired key signs; rotating retires it but
 * keeps publishing its public half for `retainSeconds` (longer than an access token lives), so
 * tokens it signed stay valid until they expire and no user is signed out by a rotation.
 */
export class SigningKeyStore {
  private cached?: { key: ActiveKey; loadedAt: number };

  constructor(
    private readonly pool: pg.Pool,
    private readonly sealingKey: Buffer,
    private readonly options: { rotateAfterSeconds: number; retainSeconds: number },
  ) {}

  /** Creates a new signing key and retires the previous one. Returns the new kid. */
  async rotate(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALGORITHM, { crv: 'Ed25519', extractable: true });
    const kid = `k-${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${Math.random().toString(36).slice(2, 8)}`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: TOKEN_ALGORITHM, use: 'sig' };
    const sealed = seal(JSON.stringify(await exportJWK(privateKey)), this.sealingKey);
    await inTransaction(this.pool, async (client) => {
      await client.query('UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL');
      await client.query('INSERT INTO signing_keys (kid, public_jwk, private_jwk_sealed) VALUES ($1, $2, $3)', [kid, publicJwk, sealed]);
    });
    this.cached = undefined;
    return kid;
  }

  /** The key that signs now; creates the first one, and rotates one that is too old. */
  async active(): Promise<ActiveKey> {
    if (this.cached && Date.now() - this.cached.loadedAt < 60_000) return this.cached.key;
    let row = await this.current();
    const tooOld = row && Date.now() - row.created_at.getTime() > this.options.rotateAfterSeconds * 1000;
    if (!row || tooOld) {
      // Replicas starting together: the advisory lock lets exactly one of them rotate.
      row = await withAdvisoryLock(this.pool, 'signing-key-rotation', async () => {
        const latest = await this.current();
        if (latest && Date.now() - latest.created_at.getTime() <= this.options.rotateAfterSeconds * 1000) return latest;
        await this.rotate();
        return this.current();
      });
    }
    const jwk = JSON.parse(unseal(row!.private_jwk_sealed, this.sealingKey)) as JWK;
    const key = { kid: row!.kid, privateKey: (await importJWK(jwk, TOKEN_ALGORITHM)) as KeyLike };
    this.cached = { key, loadedAt: Date.now() };
    return key;
  }

  /** The public keys a verifier needs: the signing key and the recently retired ones. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const { rows } = await this.pool.query<KeyRow>(
      `SELECT * FROM signing_keys WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1) ORDER BY created_at DESC`,
      [this.options.retainSeconds],
    );
    return { keys: rows.map((r) => r.public_jwk) };
  }

  private async current(): Promise<KeyRow | undefined> {
    const { rows } = await this.pool.query<KeyRow>('SELECT * FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1');
    return rows[0];
  }
}

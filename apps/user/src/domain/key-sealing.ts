import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Token-signing private keys are stored sealed with AES-256-GCM under a secret that lives
 * outside the database (USER_KEY_ENCRYPTION_SECRET): a copy of the database alone cannot mint
 * tokens. Format: base64url(iv) . base64url(tag) . base64url(ciphertext).
 */
export function parseSealingSecret(secret: string | undefined): Buffer {
  if (!secret) throw new Error('USER_KEY_ENCRYPTION_SECRET is not set (32 random bytes, base64); scripts/up.sh generates one');
  const key = Buffer.from(secret, 'base64');
  if (key.length !== 32) throw new Error('USER_KEY_ENCRYPTION_SECRET must be 32 bytes, base64-encoded');
  return key;
}

export function seal(plaintext: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url')).join('.');
}

export function unseal(sealed: string, key: Buffer): string {
  const [iv, tag, data] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !tag || !data) throw new Error('malformed sealed key');
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
}

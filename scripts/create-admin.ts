/**
 * Creates the first administrator (there is no default admin and no default password):
 *
 *   npm run create-admin -- --email admin@example.com          # password read from stdin
 *   ADMIN_PASSWORD=… npm run create-admin -- --email admin@example.com
 *
 * An existing account with that e-mail is promoted to admin (its password is left unchanged).
 * Needs PostgreSQL (npm run up, or scripts/infra.sh up); reads PG_* like the services.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { pgConfig } from '../kernel/config';
import { createLogger } from '../kernel/logger';
import { createPool, migrate } from '../kernel/store/pg';
import { migrations } from '../apps/user/src/store/migrations';
import { UserStore } from '../apps/user/src/store/users';
import { hashPassword } from '../apps/user/src/domain/passwords';
import { passwordProblems } from '../apps/user/src/domain/password-policy';

async function readPassword(): Promise<string> {
  if (process.env.ADMIN_PASSWORD) return process.env.ADMIN_PASSWORD;
  process.stderr.write('Password for the new admin: ');
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const email = args[args.indexOf('--email') + 1];
  if (!args.includes('--email') || !email || !/^[^@\s]+@[^@\s]+$/.test(email)) {
    throw new Error('usage: npm run create-admin -- --email admin@example.com');
  }
  const logger = createLogger('create-admin', 'warn');
  const pool = createPool(pgConfig(), 'users', 'create-admin');
  try {
    await migrate(pool, 'users', migrations, logger);
    const users = new UserStore(pool);
    const existing = await users.byEmail(email);
    if (existing) {
      await users.update(existing.id, { role: 'admin' });
      console.log(`${email} is now an admin (id ${existing.id}).`);
      return;
    }
    const password = await readPassword();
    const problems = passwordProblems(password);
    if (problems.length) throw new Error(`the password ${problems.join(' and ')}`);
    const created = await users.create({ id: randomUUID(), email, name: 'Administrator', role: 'admin', passwordHash: await hashPassword(password) });
    console.log(`Created admin ${email} (id ${created!.id}).`);
  } finally {
    await pool.end();
  }
}

main().catch((err) => {
  console.error(`create-admin: ${(err as Error).message}`);
  process.exit(1);
});

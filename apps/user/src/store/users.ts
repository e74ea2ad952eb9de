import type pg from 'pg';
import type { Role } from '../../../../kernel/auth/caller';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  created_at: Date;
  updated_at: Date;
}

export type Profile = Omit<UserRow, 'password_hash'>;

export function profileOf(row: UserRow): Profile {
  const { password_hash: _hidden, ...profile } = row;
  return profile;
}

export class UserStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Returns undefined when the e-mail is taken (case-insensitively). */
  async create(user: { id: string; email: string; name: string; role: Role; passwordHash: string }): Promise<UserRow | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      `INSERT INTO users (id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING *`,
      [user.id, user.email, user.name, user.role, user.passwordHash],
    );
    return rows[0];
  }

  async byEmail(email: string): Promise<UserRow | undefined> {
    const { rows } = await this.pool.query<UserRow>('SELECT * FROM users WHERE lower(email) = lower($1)', [email]);
    return rows[0];
  }

  async byId(id: string): Promise<UserRow | undefined> {
    const { rows } = await this.pool.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
    return rows[0];
  }

  async update(id: string, changes: { name?: string; role?: Role; passwordHash?: string }): Promise<UserRow | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      `UPDATE users SET name = COALESCE($2, name), role = COALESCE($3, role), password_hash = COALESCE($4, password_hash),
              updated_at = now()
        WHERE id = $1 RETURNING *`,
      [id, changes.name ?? null, changes.role ?? null, changes.passwordHash ?? null],
    );
    return rows[0];
  }
}

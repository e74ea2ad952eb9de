import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { HttpProblem } from '../../../../kernel/problem';
import { inTransaction } from '../../../../kernel/store/pg';
import { requireMatch } from '../domain/product';

export interface CategoryRow {
  id: string;
  parent_id: string | null;
  name: string;
  version: number;
  created_at: Date;
}

function duplicateName(err: unknown): never {
  if ((err as { constraint?: string }).constraint === 'categories_unique_name') {
    throw new HttpProblem(409, 'A category with this name already exists under the same parent.');
  }
  throw err;
}

/** Categories form a tree (parent_id); cycles are refused, and a category in use is not deleted. */
export class CategoryStore {
  constructor(private readonly pool: pg.Pool) {}

  async all(): Promise<CategoryRow[]> {
    const { rows } = await this.pool.query<CategoryRow>('SELECT * FROM categories ORDER BY lower(name), id');
    return rows;
  }

  async byId(id: string): Promise<CategoryRow | undefined> {
    const { rows } = await this.pool.query<CategoryRow>('SELECT * FROM categories WHERE id = $1', [id]);
    return rows[0];
  }

  async create(name: string, parentId: string | null): Promise<CategoryRow> {
    if (parentId && !(await this.byId(parentId))) throw new HttpProblem(422, `No parent category ${parentId}.`);
    const { rows } = await this.pool
      .query<CategoryRow>('INSERT INTO categories (id, parent_id, name) VALUES ($1, $2, $3) RETURNING *', [randomUUID(), parentId, name])
      .catch(duplicateName);
    return rows[0]!;
  }

  async update(id: string, ifMatch: string, change: { name?: string; parent_id?: string | null }): Promise<CategoryRow> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<CategoryRow>('SELECT * FROM categories WHERE id = $1 FOR UPDATE', [id]);
      const current = rows[0];
      if (!current) throw new HttpProblem(404, `No category ${id}.`);
      requireMatch(ifMatch, current.version, 'category');
      const parentId = change.parent_id === undefined ? current.parent_id : change.parent_id;
      if (parentId) {
        // The new parent must exist and must not be this category or one of its descendants.
        const { rows: chain } = await client.query<{ id: string }>(
          `WITH RECURSIVE up AS (SELECT id, parent_id FROM categories WHERE id = $1
                               UNION ALL SELECT c.id, c.parent_id FROM categories c JOIN up ON c.id = up.parent_id)
           SELECT id FROM up`,
          [parentId],
        );
        if (!chain.length) throw new HttpProblem(422, `No parent category ${parentId}.`);
        if (chain.some((c) => c.id === id)) throw new HttpProblem(409, 'A category cannot be moved under itself or its descendants.');
      }
      const { rows: updated } = await client
        .query<CategoryRow>('UPDATE categories SET name = $2, parent_id = $3, version = version + 1, updated_at = now() WHERE id = $1 RETURNING *', [
          id, change.name ?? current.name, parentId,
        ])
        .catch(duplicateName);
      return updated[0]!;
    });
  }

  async remove(id: string, ifMatch: string): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<CategoryRow>('SELECT * FROM categories WHERE id = $1 FOR UPDATE', [id]);
      if (!rows[0]) throw new HttpProblem(404, `No category ${id}.`);
      requireMatch(ifMatch, rows[0].version, 'category');
      const { rows: use } = await client.query<{ children: number; products: number }>(
        `SELECT (SELECT count(*)::int FROM categories WHERE parent_id = $1) AS children,
                (SELECT count(*)::int FROM products WHERE category_id = $1) AS products`,
        [id],
      );
      if (use[0]!.children || use[0]!.products) {
        throw new HttpProblem(409, `The category still has ${use[0]!.children} subcategories and ${use[0]!.products} products.`);
      }
      await client.query('DELETE FROM categories WHERE id = $1', [id]);
    });
  }
}

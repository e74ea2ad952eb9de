import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ReadRouter } from '../../../../kernel/store/read-replica';
import { inTransaction, preparedRead, type Queryable } from '../../../../kernel/store/pg';
import { HttpProblem } from '../../../../kernel/problem';
import type { ProductFields, ProductStatus } from '../domain/product';
import { requireMatch } from '../domain/product';
import { PRODUCT_TOPICS, type ProductSnapshot } from '../events/contract';
import { enqueue } from '../../../../kernel/store/outbox';

/** The catalog's PostgreSQL schema. */
export const CATALOG_SCHEMA = 'catalog';

/** A stored product: its fields plus identity, version and timestamps. */
export interface ProductRecord extends ProductFields {
  id: string;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export type ProductSort = 'newest' | 'oldest' | 'name' | 'price_asc' | 'price_desc';

/** Keyset pagination: the sort column and its direction; `id` breaks ties. */
const SORTS: Record<ProductSort, { column: string; desc: boolean }> = {
  newest: { column: 'created_at', desc: true },
  oldest: { column: 'created_at', desc: false },
  name: { column: 'name', desc: false },
  price_asc: { column: 'base_price_minor', desc: false },
  price_desc: { column: 'base_price_minor', desc: true },
};

export interface ListQuery {
  sort: ProductSort;
  limit: number;
  statuses: ProductStatus[];
  categoryId?: string;
  /** The last row of the previous page: its sort value and id. */
  after?: { value: string | number; id: string };
}

const SELECT_PRODUCT = `
  SELECT p.*, coalesce((SELECT json_agg(json_build_object('sku', v.sku, 'name', v.name, 'options', v.options, 'price_minor', v.price_minor) ORDER BY v.position)
                          FROM product_variants v WHERE v.product_id = p.id), '[]'::json) AS variants
    FROM products p`;

function conflictOnSku(err: unknown): never {
  const e = err as { code?: string; detail?: string; constraint?: string };
  if (e.code === '23505' && ['sku_registry_pkey', 'product_variants_sku_key', 'products_sku_key'].includes(e.constraint ?? '')) {
    const sku = /\(sku\)=\((.*)\)/.exec(e.detail ?? '')?.[1];
    throw new HttpProblem(409, `SKU ${sku ?? ''} is already used by another product.`.replace('  ', ' '));
  }
  throw err;
}

/** Whether a change keeps the product's SKU and its variants exactly as stored (their rows need no rewrite). */
function sameSkus(current: ProductRecord, fields: ProductFields): boolean {
  if (fields.sku !== current.sku) return false;
  if (fields.variants === current.variants) return true;
  const shape = (variants: ProductFields['variants']) => JSON.stringify(variants.map((v) => [v.sku, v.name, v.options, v.price_minor ?? null]));
  return shape(fields.variants) === shape(current.variants);
}

export class ProductStore {
  /** `reads` routes the public reads (list, one product) to the read replica when there is one. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly reads?: ReadRouter,
  ) {}

  /** Where a public read goes: the replica when it has what this request must see, else the primary. */
  async readable(): Promise<Queryable> {
    return this.reads ? this.reads.forRead() : this.pool;
  }

  /**
   * Product changes (created, updated, deleted) since `since` — each outbox event's id and its
   * product — from the outbox written in each change's transaction, with the database's time. `complete: false` when there
   * are more than `limit`, `since` is older than the outbox keeps, or a category changed (its name
   * is part of every product answer): the reader then forgets everything it holds.
   */
  async changesSince(since: Date, limit: number): Promise<{ as_of: string; changes: Array<{ event_id: string; product_id: string }>; complete: boolean }> {
    const { rows } = await this.pool.query<{ as_of: Date; changes: Array<{ event_id: string; product_id: string }> | null; categories_changed: boolean; too_old: boolean }>(
      `SELECT now() AS as_of,
              (SELECT json_agg(json_build_object('event_id', id, 'product_id', payload->'product'->>'id')) FROM (
                 SELECT id, payload FROM outbox WHERE created_at > $1 AND topic LIKE 'catalog.product.%' ORDER BY created_at LIMIT $2 + 1) recent) AS changes,
              EXISTS (SELECT 1 FROM categories WHERE updated_at > $1 AND version > 1) AS categories_changed,
              $1 < now() - interval '12 hours' AS too_old`,
      [since, limit],
    );
    const row = rows[0]!;
    const changes = row.changes ?? [];
    return { as_of: row.as_of.toISOString(), changes: changes.slice(0, limit), complete: changes.length <= limit && !row.categories_changed && !row.too_old };
  }

  /** Outside a transaction a named statement (a product page's read is the catalog's hottest query). */
  async byId(id: string, client: Queryable = this.pool, lock = false): Promise<ProductRecord | undefined> {
    const text = `${SELECT_PRODUCT} WHERE p.id = $1${lock ? ' FOR UPDATE OF p' : ''}`;
    const { rows } = client instanceof pg.Pool && !lock ? await preparedRead<ProductRecord>(client, 'product-by-id', text, [id]) : await client.query<ProductRecord>(text, [id]);
    return rows[0];
  }

  async list(query: ListQuery): Promise<ProductRecord[]> {
    const sort = SORTS[query.sort];
    const params: unknown[] = [query.statuses, query.limit];
    const where = ['p.status = ANY($1)'];
    if (query.categoryId) {
      params.push(query.categoryId);
      where.push(`p.category_id IN (WITH RECURSIVE sub AS (SELECT id FROM categories WHERE id = $${params.length}
                    UNION ALL SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id) SELECT id FROM sub)`);
    }
    if (query.after) {
      params.push(query.after.value, query.after.id);
      const op = sort.desc ? '<' : '>';
      where.push(`(p.${sort.column}, p.id) ${op} ($${params.length - 1}, $${params.length}::uuid)`);
    }
    const dir = sort.desc ? 'DESC' : 'ASC';
    const { rows } = await (await this.readable()).query<ProductRecord>(
      `${SELECT_PRODUCT} WHERE ${where.join(' AND ')} ORDER BY p.${sort.column} ${dir}, p.id ${dir} LIMIT $2`,
      params,
    );
    return rows;
  }

  /** Every product in id order, whatever its status: the search index is rebuilt from this. */
  /** One product as its events carry it (consumers check an event against it); undefined when it does not exist. */
  async snapshotById(id: string): Promise<ProductSnapshot | undefined> {
    const record = await this.byId(id, this.pool);
    return record ? this.snapshot(record, this.pool) : undefined;
  }

  async exportPage(afterId: string | undefined, limit: number): Promise<ProductSnapshot[]> {
    const { rows } = await this.pool.query<ProductRecord>(
      `${SELECT_PRODUCT} WHERE ($1::uuid IS NULL OR p.id > $1::uuid) ORDER BY p.id LIMIT $2`,
      [afterId ?? null, limit],
    );
    return Promise.all(rows.map((row) => this.snapshot(row, this.pool)));
  }

  async create(fields: ProductFields): Promise<ProductRecord> {
    return inTransaction(this.pool, async (client) => {
      await this.checkCategory(client, fields.category_id);
      const id = randomUUID();
      await client
        .query(
          `INSERT INTO products (id, sku, name, description, base_price_minor, currency, category_id, attributes, status, weight_grams, tax_class, images)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
          [id, fields.sku, fields.name, fields.description, fields.base_price_minor, fields.currency, fields.category_id, fields.attributes, fields.status, fields.weight_grams, fields.tax_class, JSON.stringify(fields.images)],
        )
        .catch(conflictOnSku);
      await this.writeSkusAndVariants(client, id, fields);
      const record = (await this.byId(id, client))!;
      await enqueue(client, CATALOG_SCHEMA, PRODUCT_TOPICS.created, { occurred_at: new Date().toISOString(), product: await this.snapshot(record, client) });
      return record;
    });
  }

  /**
   * Applies `change` to the current product under a row lock, checking If-Match first. The
   * usual change (a name, a price, a description) leaves the SKUs alone: then the variant and
   * SKU-registry rows are not rewritten and the category not checked again, and the record is
   * the locked row plus the change (no second read) — a third of the statements of a full rewrite.
   */
  async update(id: string, ifMatch: string, change: (current: ProductRecord) => ProductFields): Promise<ProductRecord> {
    return inTransaction(this.pool, async (client) => {
      const current = await this.byId(id, client, true);
      if (!current) throw new HttpProblem(404, `No product ${id}.`);
      requireMatch(ifMatch, current.version, 'product');
      const fields = change(current);
      if (fields.category_id !== current.category_id) await this.checkCategory(client, fields.category_id);
      const { rows } = await client.query<{ version: number; updated_at: Date }>(
        `UPDATE products SET sku = $2, name = $3, description = $4, base_price_minor = $5, currency = $6, category_id = $7,
                attributes = $8, status = $9, weight_grams = $10, tax_class = $11, images = $12, version = version + 1, updated_at = now()
          WHERE id = $1 RETURNING version, updated_at`,
        [id, fields.sku, fields.name, fields.description, fields.base_price_minor, fields.currency, fields.category_id, fields.attributes, fields.status, fields.weight_grams, fields.tax_class, JSON.stringify(fields.images)],
      ).catch(conflictOnSku);
      let record: ProductRecord;
      if (sameSkus(current, fields)) {
        record = { ...current, ...fields, variants: current.variants, version: rows[0]!.version, updated_at: rows[0]!.updated_at };
      } else {
        await client.query('DELETE FROM product_variants WHERE product_id = $1', [id]);
        await client.query('DELETE FROM sku_registry WHERE product_id = $1', [id]);
        await this.writeSkusAndVariants(client, id, fields);
        record = (await this.byId(id, client))!;
      }
      await enqueue(client, CATALOG_SCHEMA, PRODUCT_TOPICS.updated, { occurred_at: new Date().toISOString(), product: await this.snapshot(record, client) });
      return record;
    });
  }

  async remove(id: string, ifMatch: string): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      const current = await this.byId(id, client, true);
      if (!current) throw new HttpProblem(404, `No product ${id}.`);
      requireMatch(ifMatch, current.version, 'product');
      await client.query('DELETE FROM products WHERE id = $1', [id]);
      await enqueue(client, CATALOG_SCHEMA, PRODUCT_TOPICS.deleted, {
        occurred_at: new Date().toISOString(),
        product: { id, sku: current.sku, version: current.version + 1 },
      });
    });
  }

  private async writeSkusAndVariants(client: Queryable, productId: string, fields: ProductFields): Promise<void> {
    const skus = [fields.sku, ...fields.variants.map((v) => v.sku)];
    await client
      .query('INSERT INTO sku_registry (sku, product_id) SELECT unnest($1::text[]), $2', [skus, productId])
      .catch(conflictOnSku);
    for (const [position, v] of fields.variants.entries()) {
      await client
        .query('INSERT INTO product_variants (product_id, sku, name, options, price_minor, position) VALUES ($1, $2, $3, $4, $5, $6)', [
          productId, v.sku, v.name, v.options, v.price_minor, position,
        ])
        .catch(conflictOnSku);
    }
  }

  private async checkCategory(client: Queryable, categoryId: string | null): Promise<void> {
    if (!categoryId) return;
    const { rowCount } = await client.query('SELECT 1 FROM categories WHERE id = $1', [categoryId]);
    if (!rowCount) throw new HttpProblem(422, `No category ${categoryId}.`, { extensions: { errors: [{ pointer: '/body/category_id', detail: 'is not a category' }] } });
  }

  /** The product as the outside world sees it in events (the contract in events/contract.ts). */
  async snapshot(row: ProductRecord, client: Queryable): Promise<ProductSnapshot> {
    let category: ProductSnapshot['category'] = null;
    if (row.category_id) {
      const { rows } = await client.query<{ id: string; name: string }>(
        `WITH RECURSIVE up AS (SELECT id, parent_id, name, 0 AS depth FROM categories WHERE id = $1
                             UNION ALL SELECT c.id, c.parent_id, c.name, up.depth + 1 FROM categories c JOIN up ON c.id = up.parent_id)
         SELECT id, name FROM up ORDER BY depth DESC`,
        [row.category_id],
      );
      const self = rows[rows.length - 1];
      if (self) category = { id: self.id, name: self.name, path: rows };
    }
    return {
      id: row.id,
      sku: row.sku,
      name: row.name,
      description: row.description,
      base_price_minor: row.base_price_minor,
      currency: row.currency,
      status: row.status,
      category,
      attributes: row.attributes,
      variants: row.variants.map((v) => ({ sku: v.sku, name: v.name, options: v.options, price_minor: v.price_minor ?? row.base_price_minor })),
      images: row.images ?? [],
      version: row.version,
      updated_at: new Date(row.updated_at).toISOString(),
    };
  }
}

import { defineRoute, type Route } from '../../../../kernel/http/route';
import { uuidIdParams } from '../../../../kernel/http/schemas';
import { HttpProblem } from '../../../../kernel/problem';
import type { Caller } from '../../../../kernel/auth/caller';
import { etagsOf } from '../../../../kernel/http/concurrency';
import { checkVariants, etagOf, imagesToFields, priceToMinor, variantsToFields, type ProductFields } from '../domain/product';
import type { ProductRecord, ProductSort, ProductStore } from '../store/products';
import { decodeCursor, encodeCursor } from './cursor';
import { presentProduct } from './present';
import { createProductBody, exportQuery, listProductsQuery, patchProductBody, product } from './schemas';

const isAdmin = (caller: Caller | null) => caller?.role === 'admin';

/** Visible to everyone once active; drafts and archived products only to admins (others: 404). */
function visibleTo(caller: Caller | null, row: ProductRecord | undefined, id: string): ProductRecord {
  if (!row || (row.status !== 'active' && !isAdmin(caller))) throw new HttpProblem(404, `No product ${id}.`);
  return row;
}

function sortValue(row: ProductRecord, sort: ProductSort): string | number {
  if (sort === 'name') return row.name;
  if (sort === 'price_asc' || sort === 'price_desc') return row.base_price_minor;
  return new Date(row.created_at).toISOString();
}

export function productRoutes(products: ProductStore, defaultCurrency: string): Route[] {
  const changeFeedQuery = {
    type: 'object',
    properties: { since: { type: 'string', format: 'date-time', description: 'as_of of the previous answer, minus the caller\'s overlap' } },
    required: ['since'],
    additionalProperties: false,
  } as const;

  return [
    defineRoute({
      method: 'GET',
      path: '/internal/products/changes',
      summary: "Product changes since a time, by event (the gateway's edge cache drops those products)",
      tags: ['catalog'],
      access: 'internal',
      internalCallers: ['gateway'],
      query: changeFeedQuery,
      responses: { 200: { description: '{ as_of, changes: [{ event_id, product_id }], complete }: complete false = forget everything' } },
      handler: async ({ query }) => ({ body: await products.changesSince(new Date(query.since), 5000), headers: { 'cache-control': 'no-store' } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/products',
      summary: 'List products (cursor pagination, sorting, category filter)',
      tags: ['catalog'],
      access: 'public',
      query: listProductsQuery,
      responses: { 200: { description: 'A page of products and the cursor of the next one' } },
      handler: async ({ query, caller }) => {
        if (query.status && query.status !== 'active' && !isAdmin(caller)) throw new HttpProblem(403, 'Only administrators may list unpublished products.');
        const sort = query.sort ?? 'newest';
        const limit = Number(query.page_size ?? 20);
        const rows = await products.list({
          sort,
          limit: limit + 1,
          statuses: [query.status ?? 'active'],
          categoryId: query.category_id,
          after: query.cursor ? decodeCursor(query.cursor, sort) : undefined,
        });
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        const next = rows.length > limit && last ? encodeCursor({ sort, value: sortValue(last, sort), id: last.id }) : null;
        return {
          body: { items: page.map(presentProduct), next_cursor: next },
          headers: { 'cache-control': query.status && query.status !== 'active' ? 'private, no-store' : 'public, max-age=1' },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/products/:id',
      summary: 'Get a product (ETag; If-None-Match answers 304)',
      tags: ['catalog'],
      access: 'public',
      params: uuidIdParams,
      responses: { 200: { description: 'The product', schema: product }, 304: { description: 'Not modified' }, 404: { description: 'No such product' } },
      handler: async ({ params, caller, ctx }) => {
        const row = visibleTo(caller, await products.byId(params.id, await products.readable()), params.id);
        const etag = etagOf(row.version);
        const headers = { etag, 'cache-control': row.status === 'active' ? 'public, max-age=1' : 'private, no-store' };
        if (etagsOf(ctx.get('if-none-match')).includes(etag)) return { status: 304, headers };
        return { body: presentProduct(row), headers };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/products',
      summary: 'Create a product (admins)',
      tags: ['catalog'],
      access: 'admin',
      body: createProductBody,
      responses: { 201: { description: 'Created', schema: product }, 409: { description: 'SKU already used' }, 422: { description: 'Unknown category' } },
      handler: async ({ body }) => {
        const currency = body.currency ?? defaultCurrency;
        const variants = body.variants ?? [];
        checkVariants(body.sku, variants);
        const fields: ProductFields = {
          sku: body.sku,
          name: body.name,
          description: body.description ?? '',
          base_price_minor: priceToMinor(body.base_price, currency, '/body/base_price'),
          currency,
          category_id: body.category_id ?? null,
          attributes: body.attributes ?? {},
          status: body.status ?? 'active',
          weight_grams: body.weight_grams ?? 0,
          tax_class: body.tax_class ?? 'standard',
          variants: variantsToFields(variants, currency),
          images: imagesToFields(body.images ?? []),
        };
        const row = await products.create(fields);
        return { status: 201, body: presentProduct(row), headers: { location: `/products/${row.id}`, etag: etagOf(row.version) } };
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/products/:id',
      summary: 'Change a product (admins; If-Match required)',
      tags: ['catalog'],
      access: 'admin',
      params: uuidIdParams,
      body: patchProductBody,
      responses: { 200: { description: 'Updated', schema: product }, 412: { description: 'Changed since read' }, 428: { description: 'If-Match missing' } },
      handler: async ({ params, body, ctx }) => {
        const row = await products.update(params.id, ctx.get('if-match'), (current) => {
          const currency = body.currency ?? current.currency;
          const sku = body.sku ?? current.sku;
          if (body.variants) checkVariants(sku, body.variants);
          if (body.currency && body.currency !== current.currency && body.base_price === undefined) {
            throw new HttpProblem(400, 'Changing the currency needs a new base_price in it.');
          }
          return {
            sku,
            name: body.name ?? current.name,
            description: body.description ?? current.description,
            base_price_minor: body.base_price === undefined ? current.base_price_minor : priceToMinor(body.base_price, currency, '/body/base_price'),
            currency,
            category_id: body.category_id === undefined ? current.category_id : body.category_id,
            attributes: body.attributes ?? current.attributes,
            status: body.status ?? current.status,
            weight_grams: body.weight_grams ?? current.weight_grams,
            tax_class: body.tax_class ?? current.tax_class,
            variants: body.variants ? variantsToFields(body.variants, currency) : current.variants,
            images: body.images ? imagesToFields(body.images) : current.images,
          };
        });
        return { body: presentProduct(row), headers: { etag: etagOf(row.version) } };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/products/:id',
      summary: 'Delete a product (admins; If-Match required)',
      tags: ['catalog'],
      access: 'admin',
      params: uuidIdParams,
      responses: { 204: { description: 'Deleted' }, 412: { description: 'Changed since read' }, 428: { description: 'If-Match missing' } },
      handler: async ({ params, ctx }) => {
        await products.remove(params.id, ctx.get('if-match'));
        return {};
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/internal/products/snapshots/:id',
      summary: 'One product as its events carry it: what a consumer checks a product event against',
      tags: ['catalog'],
      access: 'internal',
      internalCallers: ['search'],
      params: uuidIdParams,
      responses: { 200: { description: 'The product snapshot (the event contract)' }, 404: { description: 'No such product (never created, or deleted)' } },
      handler: async ({ params }) => {
        const snapshot = await products.snapshotById(params.id);
        if (!snapshot) throw new HttpProblem(404, `No product ${params.id}.`);
        return { body: snapshot };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/internal/products/export',
      summary: 'Every product as an event snapshot, in id order (search index rebuilds)',
      tags: ['catalog'],
      access: 'internal',
      query: exportQuery,
      responses: { 200: { description: '{ items, next_after }' } },
      handler: async ({ query }) => {
        const limit = Number(query.limit ?? 500);
        const items = await products.exportPage(query.after, limit);
        return { body: { items, next_after: items.length === limit ? items[items.length - 1]!.id : null } };
      },
    }),
  ];
}

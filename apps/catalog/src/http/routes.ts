import { defineRoute, type Route } from '../../../../kernel/http/route';
import { notFound } from '../../../../kernel/problem';
import { fromMinorUnits } from '../../../../kernel/domain/money';
import type { ProductRow, ProductStore } from '../store/products';
import { uuidIdParams } from '../../../../kernel/http/schemas';
import { listProductsQuery, product } from './schemas';

function present(row: ProductRow) {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    base_price: fromMinorUnits(row.base_price_minor, row.currency),
    base_price_minor: row.base_price_minor,
    currency: row.currency,
    category_id: row.category_id,
    status: row.status,
    version: row.version,
  };
}

export function catalogRoutes(products: ProductStore): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/products',
      summary: 'List active products',
      access: 'public',
      tags: ['catalog'],
      query: listProductsQuery,
      responses: { 200: { description: 'Products', schema: { type: 'object', properties: { items: { type: 'array', items: product } } } } },
      handler: async ({ query }) => {
        const rows = await products.listActive(Number(query.limit ?? 20));
        return { body: { items: rows.map(present) } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/products/:id',
      summary: 'Get a product by id',
      access: 'public',
      tags: ['catalog'],
      params: uuidIdParams,
      responses: { 200: { description: 'The product', schema: product }, 404: { description: 'No such product' } },
      handler: async ({ params }) => {
        const row = await products.byId(params.id);
        if (!row) throw notFound(`No product ${params.id}.`);
        return { body: present(row) };
      },
    }),
  ];
}

import { defineRoute, type Route } from '../../../../kernel/http/route';
import { uuidIdParams } from '../../../../kernel/http/schemas';
import { HttpProblem } from '../../../../kernel/problem';
import { etagOf } from '../domain/product';
import type { CategoryRow, CategoryStore } from '../store/categories';
import { categoryBody, categoryPatch } from './schemas';

interface CategoryNode {
  id: string;
  name: string;
  parent_id: string | null;
  version: number;
  children: CategoryNode[];
}

/** Builds the forest from flat rows (children sorted by name, as the rows are). */
export function toTree(rows: CategoryRow[]): CategoryNode[] {
  const nodes = new Map(rows.map((r) => [r.id, { id: r.id, name: r.name, parent_id: r.parent_id, version: r.version, children: [] as CategoryNode[] }]));
  const roots: CategoryNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parent_id ? nodes.get(node.parent_id) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}

const present = (row: CategoryRow) => ({ id: row.id, name: row.name, parent_id: row.parent_id, version: row.version });

export function categoryRoutes(categories: CategoryStore): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/categories',
      summary: 'The category tree',
      tags: ['catalog'],
      access: 'public',
      responses: { 200: { description: 'Root categories with their children' } },
      handler: async () => ({ body: { items: toTree(await categories.all()) }, headers: { 'cache-control': 'public, max-age=1' } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/categories/:id',
      summary: 'One category',
      tags: ['catalog'],
      access: 'public',
      params: uuidIdParams,
      responses: { 200: { description: 'The category' }, 404: { description: 'No such category' } },
      handler: async ({ params }) => {
        const row = await categories.byId(params.id);
        if (!row) throw new HttpProblem(404, `No category ${params.id}.`);
        return { body: present(row), headers: { etag: etagOf(row.version), 'cache-control': 'public, max-age=1' } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/categories',
      summary: 'Create a category (admins)',
      tags: ['catalog'],
      access: 'admin',
      body: categoryBody,
      responses: { 201: { description: 'Created' }, 409: { description: 'Name taken under this parent' } },
      handler: async ({ body }) => {
        const row = await categories.create(body.name.trim(), body.parent_id ?? null);
        return { status: 201, body: present(row), headers: { location: `/categories/${row.id}`, etag: etagOf(row.version) } };
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/categories/:id',
      summary: 'Rename or move a category (admins; If-Match required)',
      tags: ['catalog'],
      access: 'admin',
      params: uuidIdParams,
      body: categoryPatch,
      responses: { 200: { description: 'Updated' }, 409: { description: 'Would create a cycle, or name taken' }, 412: { description: 'Changed since read' } },
      handler: async ({ params, body, ctx }) => {
        const row = await categories.update(params.id, ctx.get('if-match'), { name: body.name?.trim(), parent_id: body.parent_id });
        return { body: present(row), headers: { etag: etagOf(row.version) } };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/categories/:id',
      summary: 'Delete an empty category (admins; If-Match required)',
      tags: ['catalog'],
      access: 'admin',
      params: uuidIdParams,
      responses: { 204: { description: 'Deleted' }, 409: { description: 'Still has subcategories or products' } },
      handler: async ({ params, ctx }) => {
        await categories.remove(params.id, ctx.get('if-match'));
        return {};
      },
    }),
  ];
}

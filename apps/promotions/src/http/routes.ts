import { defineRoute, type Route } from '../../../../kernel/http/route';
import { uuidIdParams } from '../../../../kernel/http/schemas';
import { HttpProblem } from '../../../../kernel/problem';
import { checkDefinition, etagOf, type Action, type Cart, type Condition } from '../domain/promotion';
import type { PromotionFields, PromotionRecord, PromotionStore } from '../store/promotions';
import { createPromotionBody, listQuery, patchPromotionBody, previewBody, redeemBody, releaseBody } from './schemas';

type Body = {
  code?: string | null;
  name?: string;
  condition?: unknown;
  action?: unknown;
  starts_at?: string | null;
  ends_at?: string | null;
  usage_limit?: number | null;
  per_customer_limit?: number | null;
  exclusive?: boolean;
  priority?: number;
  active?: boolean;
};

/** A promotion on the wire (admins): everything, with its usage. */
function present(row: PromotionRecord) {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    condition: row.condition,
    action: row.action,
    starts_at: row.starts_at,
    ends_at: row.ends_at,
    usage_limit: row.usage_limit,
    per_customer_limit: row.per_customer_limit,
    exclusive: row.exclusive,
    priority: row.priority,
    active: row.active,
    used: row.used,
    version: row.version,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

const date = (v: string | null | undefined, fallback: Date | null): Date | null => (v === undefined ? fallback : v === null ? null : new Date(v));
const orDefault = <T>(v: T | undefined, fallback: T): T => (v === undefined ? fallback : v);

/** The definition after a create or a patch; buy-X-get-Y defaults to free units. */
function fields(body: Body, current: PromotionFields | undefined): PromotionFields {
  let action = (body.action as Action | undefined) ?? current!.action;
  if (action.type === 'buy_x_get_y' && action.basis_points === undefined) action = { ...action, basis_points: 10000 };
  const condition = (body.condition as Condition | undefined) ?? current!.condition;
  const f: PromotionFields = {
    code: orDefault(body.code, current?.code ?? null),
    name: body.name ?? current!.name,
    condition: { ...condition, min_subtotal_minor: condition.min_subtotal_minor ?? 0 },
    action,
    starts_at: date(body.starts_at, current?.starts_at ?? null),
    ends_at: date(body.ends_at, current?.ends_at ?? null),
    usage_limit: orDefault(body.usage_limit, current?.usage_limit ?? null),
    per_customer_limit: orDefault(body.per_customer_limit, current?.per_customer_limit ?? null),
    exclusive: body.exclusive ?? current?.exclusive ?? false,
    priority: body.priority ?? current?.priority ?? 0,
    active: body.active ?? current?.active ?? true,
  };
  checkDefinition(f);
  return f;
}

const toCart = (body: { items: Cart['items']; currency: string }): Cart => ({ items: body.items, currency: body.currency });

export function promotionRoutes(promotions: PromotionStore): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/promotions',
      summary: 'Promotions running now (admins: ?view=admin lists every promotion with codes and usage)',
      access: 'public',
      tags: ['promotions'],
      query: listQuery,
      responses: { 200: { description: 'Running promotions (without coupon codes)' }, 403: { description: 'view=admin by a non-admin' } },
      handler: async ({ query, caller }) => {
        if (query.view === 'admin') {
          if (caller?.role !== 'admin') throw new HttpProblem(403, 'Only administrators may list promotions with their codes.');
          return { body: { items: (await promotions.all(500)).map(present) }, headers: { 'cache-control': 'private, no-store' } };
        }
        return { body: { items: await promotions.running() } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/promotions/:id',
      summary: 'Get a promotion (admins; ETag)',
      access: 'admin',
      tags: ['promotions'],
      params: uuidIdParams,
      responses: { 200: { description: 'The promotion' }, 404: { description: 'No such promotion' } },
      handler: async ({ params }) => {
        const row = await promotions.byId(params.id);
        if (!row) throw new HttpProblem(404, `No promotion ${params.id}.`);
        return { body: present(row), headers: { etag: etagOf(row.version), 'cache-control': 'private, no-store' } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/promotions',
      summary: 'Create a promotion (admins)',
      access: 'admin',
      tags: ['promotions'],
      body: createPromotionBody,
      responses: { 201: { description: 'Created' }, 400: { description: 'Invalid' }, 409: { description: 'Code already used' } },
      handler: async ({ body }) => {
        const row = await promotions.create(fields(body as Body, undefined));
        return { status: 201, body: present(row), headers: { location: `/promotions/${row.id}`, etag: etagOf(row.version) } };
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/promotions/:id',
      summary: 'Change a promotion (admins; If-Match required)',
      access: 'admin',
      tags: ['promotions'],
      params: uuidIdParams,
      body: patchPromotionBody,
      responses: { 200: { description: 'Updated' }, 412: { description: 'Changed since read' }, 428: { description: 'If-Match missing' } },
      handler: async ({ params, body, ctx }) => {
        const row = await promotions.update(params.id, ctx.get('if-match'), (current) => fields(body as Body, current));
        return { body: present(row), headers: { etag: etagOf(row.version) } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/promotions/preview',
      summary: "A cart's discounts now (nothing is redeemed)",
      access: 'public',
      tags: ['promotions'],
      body: previewBody,
      responses: { 200: { description: 'Discounts, total, free shipping, and the codes that do not apply' } },
      handler: async ({ body, caller }) => ({ body: await promotions.preview(toCart(body), body.coupon_codes, caller?.id, new Date()) }),
    }),
    defineRoute({
      method: 'POST',
      path: '/internal/promotions/redeem',
      summary: "Redeem an order's promotions (order saga; idempotent by order_id)",
      access: 'internal',
      tags: ['promotions'],
      body: redeemBody,
      responses: {
        200: { description: 'The redemptions (a repeat returns the same)' },
        409: { description: 'A coupon is used up (globally or by this customer), or the order was released' },
        422: { description: 'A coupon is unknown or does not apply' },
      },
      handler: async ({ body }) => {
        const { replayed, ...result } = await promotions.redeem(body.order_id, body.user_id, toCart(body), body.coupon_codes, new Date());
        return { body: result, headers: replayed ? { 'idempotent-replayed': 'true' } : ({} as Record<string, string>) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/internal/promotions/release',
      summary: "Give back an order's promotion uses (saga compensation; idempotent)",
      access: 'internal',
      tags: ['promotions'],
      body: releaseBody,
      responses: { 200: { description: 'How many redemptions were released now' } },
      handler: async ({ body }) => ({ body: await promotions.release(body.order_id) }),
    }),
  ];
}

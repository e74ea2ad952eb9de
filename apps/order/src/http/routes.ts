import { defineRoute, type Route } from '../../../../kernel/http/route';
import { uuidIdParams } from '../../../../kernel/http/schemas';
import { requireOwned } from '../../../../kernel/auth/access';
import { idempotencyKeyOf } from '../../../../kernel/http/idempotency';
import { HttpProblem } from '../../../../kernel/problem';
import type { Sidecar } from '../../../../kernel/dapr/sidecar';
import { createHash } from 'node:crypto';
import type { Checkout } from '../domain/checkout';
import { isSettled } from '../domain/status';
import { planCancel, planFullRefund, planReturn } from '../domain/reversal';
import { ReversalRunner } from '../domain/reversal-runner';
import type { OrderRow, OrderStore, ReversalRequest } from '../store/orders';
import { presentOrder, presentReversal } from './present';
import { adminOrdersQuery, cancelBody, createOrderBody, listOrdersQuery, orderSchema, refundBody, returnBody } from './schemas';
import { userIdByEmail } from '../../../user/src/client';
import type { OrderFilter } from '../store/orders';

const tags = ['orders'];

function encodeCursor(order: OrderRow): string {
  return Buffer.from(JSON.stringify({ c: order.created_at.toISOString(), i: order.id })).toString('base64url');
}

/** One page of orders, newest first: a full page names the cursor of the next. */
function pageBody(page: OrderRow[], limit: number) {
  const last = page[page.length - 1];
  return { items: page.map((o) => presentOrder(o)), next_cursor: page.length === limit && last ? encodeCursor(last) : null };
}

function decodeCursor(cursor: string): { created_at: string; id: string } {
  try {
    const { c, i } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { c: unknown; i: unknown };
    // Exactly what encodeCursor wrote: an ISO timestamp that round-trips and a UUID. Anything
    // looser (Date.parse takes "1"; 36 dashes look like a UUID) would reach PostgreSQL's casts as a 500.
    const iso = typeof c === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(c) && new Date(c).toISOString() === c;
    if (iso && typeof i === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(i)) return { created_at: c as string, id: i };
  } catch {
    // fall through
  }
  throw new HttpProblem(400, 'cursor is not one this API returned.');
}

export function orderRoutes(orders: OrderStore, checkout: Checkout, sidecar: Sidecar, runner = new ReversalRunner(orders, sidecar, checkout.logger)): Route[] {
  // A customer's order is looked up in their own partition only (admins: any).
  const owned = async (caller: Parameters<typeof requireOwned>[0], id: string) =>
    requireOwned(caller, await orders.byId(id, caller.role === 'admin' ? undefined : caller.id), `No order ${id}.`);
  const full = async (order: OrderRow) => presentOrder(order, await orders.lines(order.id), await orders.history(order.id), await orders.reversals(order.id));
  const location = (order: OrderRow) => ({ location: `/orders/${order.id}` });

  /**
   * Opens a reversal under the order's row lock (serialised with fulfil) and runs it now; the
   * answer is the order as it then is: 200 when every step is done (cancelled / refunded), 202
   * while a step is still due (the recovery sweep resumes it). A refusal is a 4xx problem.
   */
  async function reverse(orderId: string, request: ReversalRequest) {
    const opened = await orders.openReversal(orderId, request);
    if (!opened.ok) {
      if (!opened.order || opened.status === 404) throw new HttpProblem(404, `No order ${orderId}.`);
      throw new HttpProblem(opened.status, opened.detail, { extensions: { order_status: opened.order.status, code: opened.code, ...(opened.reversal ? { reversal_id: opened.reversal.id } : {}) } });
    }
    const { done, order } = await runner.runAndWait(opened.reversal);
    const now = order ?? opened.order;
    const reversal = (await orders.reversal(opened.reversal.id)) ?? opened.reversal;
    return { done, order: now, reversal, created: opened.created };
  }

  const hashOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

  return [
    defineRoute({
      method: 'POST',
      path: '/orders',
      summary: 'Place an order from items, a guest cart (cart_id) or your cart (from_cart: true): priced from the catalog, then checked out by the saga (202; poll GET /orders/{id})',
      tags,
      body: createOrderBody,
      idempotency: 'route',
      responses: {
        202: { description: 'Accepted: the order, pending (a repeat with the same Idempotency-Key answers the same order)', schema: orderSchema },
        400: { description: 'Not exactly one of items, cart_id, from_cart' },
        403: { description: 'An order for somebody else' },
        409: { description: 'Another order is being checked out from this cart (`code` cart_in_checkout)' },
        422: { description: 'A product is not for sale, a SKU is not the product’s, currencies differ, the key was used for another order, the cart is empty, unknown or merged (`code`), or the shipping method is missing, unknown or does not ship the order (`code`, and the methods `available`)' },
      },
      handler: async ({ body, caller, ctx }) => {
        const { order, created } = await checkout.place(caller, body, idempotencyKeyOf(ctx));
        return { status: 202, body: await full(order), headers: { ...location(order), ...(created ? {} : { 'idempotent-replayed': 'true' }) } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/orders/:id',
      summary: 'An order with its items, status, payment and history',
      tags,
      params: uuidIdParams,
      responses: { 200: { description: 'The order', schema: orderSchema }, 404: { description: 'No such order' } },
      handler: async ({ params, caller }) => ({ body: await full(await owned(caller, params.id)), headers: { 'cache-control': 'no-store' } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/orders',
      summary: "The caller's orders, newest first (admins: anyone's with user_id)",
      tags,
      query: listOrdersQuery,
      responses: { 200: { description: '{ items, next_cursor }' } },
      handler: async ({ query, caller }) => {
        const userId = query.user_id ?? caller.id;
        if (userId !== caller.id && caller.role !== 'admin') throw new HttpProblem(403, 'Customers list their own orders only.');
        const limit = Number(query.limit ?? 20);
        const page = await orders.listByUser(userId, query.cursor ? decodeCursor(query.cursor) : undefined, limit);
        return { body: pageBody(page, limit), headers: { 'cache-control': 'no-store' } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/orders',
      summary: 'Search every order (shop managers): by status, customer e-mail or id, creation time and total; newest first, cursor paging',
      tags,
      access: 'admin',
      query: adminOrdersQuery,
      responses: { 200: { description: '{ items, next_cursor }' }, 400: { description: 'A filter is malformed, a range is empty, or the cursor is not one this API returned' } },
      handler: async ({ query }) => {
        const limit = Number(query.limit ?? 20);
        const filter: OrderFilter = {
          statuses: query.status?.split(','),
          userId: query.user_id,
          createdFrom: query.created_from,
          createdTo: query.created_to,
          minTotalMinor: query.min_total_minor === undefined ? undefined : Number(query.min_total_minor),
          maxTotalMinor: query.max_total_minor === undefined ? undefined : Number(query.max_total_minor),
          currency: query.currency,
        };
        if (filter.createdFrom && filter.createdTo && Date.parse(filter.createdFrom) > Date.parse(filter.createdTo)) throw new HttpProblem(400, 'created_from is after created_to.');
        if (filter.minTotalMinor !== undefined && filter.maxTotalMinor !== undefined && filter.minTotalMinor > filter.maxTotalMinor) throw new HttpProblem(400, 'min_total_minor is above max_total_minor.');
        const noStore = { 'cache-control': 'no-store' };
        if (query.email) {
          // The e-mail is the user service's: resolved to the account, which may not be the one user_id names.
          const userId = await userIdByEmail(sidecar, query.email);
          if (!userId || (filter.userId && filter.userId !== userId)) return { body: { items: [], next_cursor: null }, headers: noStore };
          filter.userId = userId;
        }
        const page = await orders.search(filter, query.cursor ? decodeCursor(query.cursor) : undefined, limit);
        return { body: pageBody(page, limit), headers: noStore };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/orders/:id/cancel',
      summary: 'Cancel an order: before payment the saga releases everything; after payment (not shipped) it is refunded, restocked and its coupons released',
      tags,
      params: uuidIdParams,
      body: cancelBody,
      responses: {
        202: { description: 'Cancellation under way (before payment; or after payment, status cancelling, while a step is still due): poll the order' },
        200: { description: 'Cancelled (after payment: refunded, restocked, coupons released)' },
        409: { description: 'Already shipped (return it instead), failed, or a return is under way' },
      },
      handler: async ({ params, body, caller }) => {
        let order = await owned(caller, params.id);
        // Before payment the saga cancels. It may settle the order while we ask (the payment won,
        // the timer fired, an earlier cancel finished): then the answer is the state it is in now,
        // decided below like any settled order, never an error for a request that was honoured.
        if (!isSettled(order.status)) {
          order = await checkout.requestCancel(order, caller.id, body.reason);
          if (!isSettled(order.status)) return { status: 202, body: await full(order), headers: location(order) };
        }
        if (order.status === 'cancelled') return { body: await full(order) };
        if (order.status !== 'paid' && order.status !== 'cancelling') {
          throw new HttpProblem(409, `Order ${order.id} is ${order.status}; it cannot be cancelled.`, { extensions: { order_status: order.status } });
        }
        // paid → cancelling (under the row lock, so a fulfil racing it loses or wins whole) → cancelled.
        const done = await reverse(order.id, { kind: 'cancel', idempotency_key: null, request_hash: null, requested_by: caller.id, reason: body.reason ?? null, plan: planCancel });
        if (done.order.status === 'cancelled' || done.order.status === 'refunded') return { body: await full(done.order) };
        return { status: 202, body: await full(done.order), headers: location(done.order) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/orders/:id/fulfill',
      summary: 'Mark a paid order shipped (admins)',
      tags,
      access: 'admin',
      params: uuidIdParams,
      responses: { 200: { description: 'The order, fulfilled' }, 409: { description: 'Not paid (or being cancelled)' } },
      handler: async ({ params, caller }) => {
        const moved = await orders.move(params.id, 'fulfilled', 'fulfilled', {}, { by: caller.id });
        if (!moved.ok) {
          if (!moved.order) throw new HttpProblem(404, `No order ${params.id}.`);
          throw new HttpProblem(409, `Order ${params.id} is ${moved.order.status}; only paid orders ship.`, { extensions: { order_status: moved.order.status } });
        }
        return { body: await full(moved.order) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/orders/:id/refund',
      summary: 'Refund an order in full (admins; idempotent): a paid order is cancelled (refund, restock, coupons); a shipped one refunded without restock',
      tags,
      access: 'admin',
      params: uuidIdParams,
      body: refundBody,
      responses: {
        200: { description: 'The order, cancelled or refunded' },
        202: { description: 'Under way (a step is still due): poll the order' },
        409: { description: 'Not paid, or already partly refunded (one refund per payment)' },
      },
      handler: async ({ params, body, caller }) => {
        const order = await owned(caller, params.id);
        if (order.status === 'refunded' || order.status === 'cancelled') return { body: await full(order) };
        if (!['paid', 'cancelling', 'fulfilled'].includes(order.status)) throw new HttpProblem(409, `Order ${order.id} is ${order.status}; only paid orders are refunded.`, { extensions: { order_status: order.status } });
        const unshipped = order.status !== 'fulfilled';
        const done = await reverse(order.id, {
          kind: unshipped ? 'cancel' : 'refund', idempotency_key: null, request_hash: null, requested_by: caller.id, reason: body.reason ?? null,
          plan: unshipped ? planCancel : planFullRefund,
        });
        if (done.order.status === 'cancelled' || done.order.status === 'refunded') return { body: await full(done.order) };
        return { status: 202, body: await full(done.order), headers: location(done.order) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/orders/:id/returns',
      summary: 'Return (or refund) some lines of a paid or shipped order (admins; Idempotency-Key required): refund their share, restock chosen per line',
      tags,
      access: 'admin',
      params: uuidIdParams,
      body: returnBody,
      idempotency: 'route',
      responses: {
        201: { description: 'The return, done: { order, return }' },
        200: { description: 'A repeat with the same Idempotency-Key: the same return' },
        202: { description: 'The return is recorded and under way (a step is still due): poll the order' },
        409: { description: 'Not paid or shipped, another return under way, a SKU already restocked, or already partly refunded (one refund per payment)' },
        422: { description: 'A SKU not in the order, more units than are left, or the key used for another return' },
        428: { description: 'No Idempotency-Key' },
      },
      handler: async ({ params, body, caller, ctx }) => {
        const key = idempotencyKeyOf(ctx);
        if (!key) throw new HttpProblem(428, 'A return needs an Idempotency-Key.');
        await owned(caller, params.id);
        const items = body.items.map((i) => ({ sku: i.sku, quantity: i.quantity, restock: i.restock ?? true }));
        const done = await reverse(params.id, {
          kind: 'return', idempotency_key: key, request_hash: hashOf({ items, reason: body.reason ?? null }), requested_by: caller.id, reason: body.reason ?? null,
          plan: (order, lines, earlier) => planReturn(order, lines, earlier, { items }),
        });
        const answer = { order: await full(done.order), return: presentReversal(done.reversal, done.order.currency) };
        if (!done.done) return { status: 202, body: answer, headers: location(done.order) };
        return { status: done.created ? 201 : 200, body: answer, headers: done.created ? ({} as Record<string, string>) : { 'idempotent-replayed': 'true' } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/internal/orders/:id',
      summary: 'One order as the order service records it, with its lines and history (consumers of order events check an event against it)',
      tags,
      access: 'internal',
      internalCallers: ['user'],
      params: uuidIdParams,
      responses: { 200: { description: 'The order', schema: orderSchema }, 404: { description: 'No such order' } },
      handler: async ({ params }) => {
        const order = await orders.byId(params.id);
        if (!order) throw new HttpProblem(404, `No order ${params.id}.`);
        return { body: await full(order) };
      },
    }),
  ];
}

import { defineRoute, type Route } from '../../../../kernel/http/route';
import { uuidIdParams } from '../../../../kernel/http/schemas';
import { requireOwned } from '../../../../kernel/auth/access';
import { idempotencyKeyOf } from '../../../../kernel/http/idempotency';
import { HttpProblem } from '../../../../kernel/problem';
import type { Sidecar } from '../../../../kernel/dapr/sidecar';
import { refundPayment } from '../../../payment/src/client';
import type { Checkout } from '../domain/checkout';
import { isSettled, type OrderStatus } from '../domain/status';
import type { OrderRow, OrderStore } from '../store/orders';
import { presentOrder } from './present';
import { cancelBody, createOrderBody, listOrdersQuery, orderSchema, refundBody } from './schemas';

const tags = ['orders'];

function encodeCursor(order: OrderRow): string {
  return Buffer.from(JSON.stringify({ c: order.created_at.toISOString(), i: order.id })).toString('base64url');
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

export function orderRoutes(orders: OrderStore, checkout: Checkout, sidecar: Sidecar): Route[] {
  const owned = async (caller: Parameters<typeof requireOwned>[0], id: string) => requireOwned(caller, await orders.byId(id), `No order ${id}.`);
  const full = async (order: OrderRow) => presentOrder(order, await orders.lines(order.id), await orders.history(order.id));
  const location = (order: OrderRow) => ({ location: `/orders/${order.id}` });

  /** Refund a paid order's payment (idempotent per payment), then move it; a repeat finds it moved. */
  async function refundAndMove(order: OrderRow, to: OrderStatus, event: string, by: string, reason?: string) {
    if (order.status === to) return order;
    // A fully discounted order was never charged: nothing to refund, only the move.
    if (!order.payment_id && order.total_minor !== 0) throw new HttpProblem(409, `Order ${order.id} has no payment to refund.`);
    if (order.payment_id) {
      try {
        await refundPayment(sidecar, order.payment_id);
      } catch (err) {
        // A concurrent cancel or refund of the same payment may hold it (Stripe refuses a second
        // request with the same key while the first runs): if that one has moved the order, answer it.
        const now = await orders.byId(order.id);
        if (now && (now.status === 'cancelled' || now.status === 'refunded')) return now;
        throw err;
      }
    }
    const moved = await orders.move(order.id, to, event, {}, { by, reason: reason ?? null, payment_id: order.payment_id });
    if (!moved.ok) {
      // Moved meanwhile (another cancel or refund, a shipment): the order is where it is.
      if (!moved.order) throw new HttpProblem(404, `No order ${order.id}.`);
      if (moved.order.status === 'cancelled' || moved.order.status === 'refunded') return moved.order;
      throw new HttpProblem(409, `Order ${order.id} is ${moved.order.status}.`, { extensions: { order_status: moved.order.status } });
    }
    return moved.order;
  }

  return [
    defineRoute({
      method: 'POST',
      path: '/orders',
      summary: 'Place an order: priced from the catalog, then checked out by the saga (202; poll GET /orders/{id})',
      tags,
      body: createOrderBody,
      idempotency: 'route',
      responses: {
        202: { description: 'Accepted: the order, pending (a repeat with the same Idempotency-Key answers the same order)', schema: orderSchema },
        403: { description: 'An order for somebody else' },
        422: { description: 'A product is not for sale, a SKU is not the product’s, currencies differ, or the key was used for another order' },
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
        const last = page[page.length - 1];
        return { body: { items: page.map((o) => presentOrder(o)), next_cursor: page.length === limit && last ? encodeCursor(last) : null }, headers: { 'cache-control': 'no-store' } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/orders/:id/cancel',
      summary: 'Cancel an order: before payment the saga releases everything; after payment (not shipped) the payment is refunded',
      tags,
      params: uuidIdParams,
      body: cancelBody,
      responses: {
        202: { description: 'Cancellation under way (before payment): poll the order' },
        200: { description: 'Cancelled and refunded' },
        409: { description: 'Already shipped, failed or cancelled' },
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
        if (order.status !== 'paid') throw new HttpProblem(409, `Order ${order.id} is ${order.status}; it cannot be cancelled.`, { extensions: { order_status: order.status } });
        return { body: await full(await refundAndMove(order, 'cancelled', 'cancelled_after_payment', caller.id, body.reason)) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/orders/:id/fulfill',
      summary: 'Mark a paid order shipped (admins)',
      tags,
      access: 'admin',
      params: uuidIdParams,
      responses: { 200: { description: 'The order, fulfilled' }, 409: { description: 'Not paid' } },
      handler: async ({ params, caller }) => {
        const moved = await orders.move(params.id, 'fulfilled', 'fulfilled', {}, { by: caller.id });
        if (!moved.ok) throw moved.order ? new HttpProblem(409, `Order ${params.id} is ${moved.order.status}; only paid orders ship.`) : new HttpProblem(404, `No order ${params.id}.`);
        return { body: await full(moved.order) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/orders/:id/refund',
      summary: 'Refund a paid or shipped order in full (admins; idempotent)',
      tags,
      access: 'admin',
      params: uuidIdParams,
      body: refundBody,
      responses: { 200: { description: 'The order, refunded' }, 409: { description: 'Not paid' } },
      handler: async ({ params, body, caller }) => {
        const order = await owned(caller, params.id);
        if (!['paid', 'fulfilled', 'refunded'].includes(order.status)) throw new HttpProblem(409, `Order ${order.id} is ${order.status}; only paid orders are refunded.`);
        return { body: await full(await refundAndMove(order, 'refunded', 'refunded', caller.id, body.reason)) };
      },
    }),
  ];
}

import { createHash, randomUUID } from 'node:crypto';
import { defineRoute, type Route } from '../../../../kernel/http/route';
import { idempotencyKeyOf } from '../../../../kernel/http/idempotency';
import { skuSchema } from '../../../../kernel/domain/sku';
import { HttpProblem } from '../../../../kernel/problem';
import type { Sidecar } from '../../../../kernel/dapr/sidecar';
import type { JSONSchema } from '../../../../kernel/validation';
import { adjustmentBody, orderIdSchema, reserveInput, returnBody } from '../domain/commands';
import { adjustmentIdFor } from '../domain/stock';
import type { AdjustResult, ReserveResult, ReturnResult, StockStore, TransitionResult } from '../store/stock';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The actor type that owns each SKU's stock (actors/inventory/InventoryItemActor.ts). */
export const INVENTORY_ACTOR = 'InventoryItemActor';

const PROBLEMS = 'https://problems.dapr-commerce.dev';

const skuParams = {
  type: 'object',
  properties: { sku: skuSchema },
  required: ['sku'],
  additionalProperties: false,
} as const satisfies JSONSchema;

const reservationParams = {
  type: 'object',
  properties: { sku: skuSchema, orderId: orderIdSchema },
  required: ['sku', 'orderId'],
  additionalProperties: false,
} as const satisfies JSONSchema;

const ledgerQuery = {
  type: 'object',
  properties: {
    limit: { type: 'string', pattern: '^(?:[1-9]|[1-9][0-9]|[1-4][0-9][0-9]|500)$', description: '1–500, default 100' },
    cursor: { type: 'string', pattern: '^[0-9]{1,15}$', description: 'next_cursor of the previous page' },
  },
  additionalProperties: false,
} as const satisfies JSONSchema;

const figures = {
  on_hand: { type: 'integer' },
  reserved: { type: 'integer' },
  available: { type: 'integer' },
} as const;

const availabilitySchema = {
  type: 'object',
  properties: {
    sku: { type: 'string' },
    ...figures,
    locations: { type: 'array', items: { type: 'object', properties: { location: { type: 'string' }, ...figures } } },
    seq: { type: 'integer', description: "Grows with every change of the SKU's stock (0: never changed); the seq of its inventory.stock.changed events" },
  },
} as const satisfies JSONSchema;

type Invalid = { ok: false; reason: 'invalid'; detail: string; errors?: unknown };

/** A domain refusal from the actor as problem+json; the actor's own fields ride along. */
function refusal(result: { ok: false; reason: string } & Record<string, unknown>): never {
  const { ok: _ok, ...fields } = result;
  switch (result.reason) {
    case 'insufficient_stock':
      throw new HttpProblem(409, `Only ${String(result.available)} available.`, { type: `${PROBLEMS}/insufficient-stock`, extensions: fields });
    case 'below_reserved':
      throw new HttpProblem(409, `On hand at ${String(result.location)} cannot go below what is reserved there (${String(result.reserved)}).`, {
        type: `${PROBLEMS}/below-reserved`, extensions: fields,
      });
    case 'expired':
      throw new HttpProblem(410, 'The reservation expired; its stock was returned.', { type: `${PROBLEMS}/reservation-expired`, title: 'Gone', extensions: fields });
    case 'released':
      throw new HttpProblem(409, 'released_at' in result ? 'The reservation was released before it was made; it holds nothing.' : 'The reservation was released.', {
        type: `${PROBLEMS}/reservation-released`, extensions: fields,
      });
    case 'committed':
      throw new HttpProblem(409, 'The reservation is already committed.', { type: `${PROBLEMS}/reservation-committed`, extensions: fields });
    case 'not_found':
      throw new HttpProblem(404, 'No reservation of this SKU for this order.', { extensions: fields });
    case 'unknown_sku':
      throw new HttpProblem(404, `No stock of ${String(result.sku)} is known here.`, { extensions: fields });
    case 'not_committed':
      throw new HttpProblem(409, 'This order has no committed reservation of this SKU.', { type: `${PROBLEMS}/not-committed`, extensions: fields });
    case 'exceeds_committed':
      throw new HttpProblem(409, `The order committed ${String(result.committed)} and had ${String(result.returned)} back; ${String(result.quantity)} more cannot be returned.`, {
        type: `${PROBLEMS}/return-exceeds-committed`, extensions: fields,
      });
    case 'adjustment_id_reused':
      throw new HttpProblem(422, 'This Idempotency-Key was used for a different adjustment.', { extensions: fields });
    case 'invalid':
      throw new HttpProblem(400, (result as unknown as Invalid).detail, { extensions: { errors: (result as unknown as Invalid).errors } });
    default:
      throw new HttpProblem(500, `Unexpected inventory answer: ${result.reason}`);
  }
}

/**
 * Reads come straight from PostgreSQL (committed figures; a hot SKU's readers never queue
 * behind its writers). Every change goes through the SKU's actor over the sidecar.
 */
export function inventoryRoutes(stock: StockStore, sidecar: Sidecar): Route[] {
  const call = <T>(sku: string, method: string, body: unknown) => sidecar.callActor<T | Invalid>(INVENTORY_ACTOR, sku, method, body);

  const transition = (method: 'commit' | 'release', summary: string) =>
    defineRoute({
      method: 'POST',
      path: `/internal/inventory/:sku/reservations/:orderId/${method}`,
      summary,
      access: 'internal',
      tags: ['inventory'],
      params: reservationParams,
      responses: {
        200: { description: 'Done (a repeat is a no-op with replayed: true)' },
        404: { description: 'No such reservation' },
        409: { description: 'Settled the other way' },
        410: { description: 'Expired' },
      },
      handler: async ({ params }) => {
        const result = await call<TransitionResult>(params.sku, method, { order_id: params.orderId });
        if (!result.ok) refusal(result as never);
        return { body: { ...result.reservation, replayed: result.replayed } };
      },
    });

  return [
    defineRoute({
      method: 'GET',
      path: '/inventory/:sku',
      summary: 'Stock availability of a SKU across locations',
      access: 'public',
      tags: ['inventory'],
      params: skuParams,
      responses: { 200: { description: 'on_hand, reserved and available, in total and per location', schema: availabilitySchema } },
      handler: async ({ params }) => ({ body: await stock.availability(params.sku), headers: { 'cache-control': 'no-store' } }),
    }),
    defineRoute({
      method: 'POST',
      path: '/inventory/:sku/adjustments',
      summary: 'Adjust the stock on hand at a location (admins)',
      access: 'admin',
      tags: ['inventory'],
      params: skuParams,
      body: adjustmentBody,
      // Exactly once in the ledger's transaction: the adjustment id comes from the Idempotency-Key
      // (else a new one), chosen before the actor is called, so a retried actor call carries it.
      idempotency: 'route',
      responses: {
        201: { description: 'Applied (a repeat of the same Idempotency-Key answers the first result, `Idempotent-Replayed: true`); the new availability and the ledger line written' },
        409: { description: 'On hand would fall below what is reserved at the location' },
        422: { description: 'The Idempotency-Key was used for a different adjustment' },
      },
      handler: async ({ params, body, caller, ctx }) => {
        const key = idempotencyKeyOf(ctx);
        const adjustmentId = key ? adjustmentIdFor(caller.id, params.sku, key, sha256) : randomUUID();
        const result = await call<AdjustResult>(params.sku, 'adjust', { ...body, actor: caller.id, adjustment_id: adjustmentId });
        if (!result.ok) refusal(result as never);
        return {
          status: 201,
          body: { adjustment_id: adjustmentId, ledger_id: result.ledger_id, ...result.availability },
          ...(result.replayed ? { headers: { 'idempotent-replayed': 'true' } } : {}),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/inventory/:sku/ledger',
      summary: 'The stock ledger of a SKU, oldest first (admins)',
      access: 'admin',
      tags: ['inventory'],
      params: skuParams,
      query: ledgerQuery,
      responses: { 200: { description: 'A page of ledger lines and the cursor of the next one' } },
      handler: async ({ params, query }) => {
        const limit = Number(query.limit ?? 100);
        const items = await stock.ledger(params.sku, Number(query.cursor ?? 0), limit);
        const last = items[items.length - 1];
        return { body: { items, next_cursor: items.length === limit && last ? String(last.id) : null } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/internal/inventory/:sku/reservations',
      summary: 'Reserve stock for an order, all or nothing, until ttl_seconds pass (order saga)',
      access: 'internal',
      tags: ['inventory'],
      params: skuParams,
      body: reserveInput,
      responses: {
        201: { description: 'Reserved' },
        200: { description: 'This order already holds a reservation of this SKU (returned unchanged)' },
        409: { description: 'Not enough available (`available` says how much is)' },
      },
      handler: async ({ params, body }) => {
        const result = await call<ReserveResult>(params.sku, 'reserve', body);
        if (!result.ok) refusal(result as never);
        return {
          status: result.replayed ? 200 : 201,
          body: { ...result.reservation, replayed: result.replayed },
          headers: { location: `/internal/inventory/${params.sku}/reservations/${body.order_id}` },
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/internal/inventory/:sku/returns',
      summary: 'Put stock an order committed back on hand (order service: a cancel after payment, a return)',
      access: 'internal',
      internalCallers: ['order'],
      tags: ['inventory'],
      params: skuParams,
      body: returnBody,
      // Idempotent by (sku, order_id) in the store: every repeat gets the first answer, where the
      // kernel's record store would answer a concurrent repeat 409 (read as a refusal).
      idempotency: 'route',
      responses: {
        201: { description: 'Returned: the allocations put back, the ledger lines and the new availability' },
        200: { description: 'This order already returned this SKU (the first answer, replayed: true)' },
        404: { description: 'Unknown SKU' },
        409: { description: 'No committed reservation of this SKU for the order, or more than it committed less what it had back' },
      },
      handler: async ({ params, body }) => {
        const result = await call<ReturnResult>(params.sku, 'restock', body);
        if (!result.ok) refusal(result as never);
        return { status: result.replayed ? 200 : 201, body: { ...result.return, replayed: result.replayed } };
      },
    }),
    transition('commit', 'Commit an order\'s reservation: the stock leaves (order saga)'),
    transition('release', 'Release an order\'s reservation: the stock is available again (order saga compensation)'),
  ];
}

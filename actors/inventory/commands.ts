/**
 * The inventory actor's method arguments as JSON Schemas: the actor validates its input with
 * them (it can be called straight through a sidecar) and the HTTP routes reuse them as bodies.
 * They are the actor's contract, so they live with it (actors/ never import apps/); the
 * inventory app reads them through apps/inventory/src/domain/commands.ts.
 */
import type { FromSchema, JSONSchema } from '../../kernel/validation';

export const LOCATION_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
/** Order ids come from the order service (UUIDs), but any opaque id of this shape is accepted. */
export const ORDER_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';

export const locationSchema = { type: 'string', pattern: LOCATION_PATTERN } as const;
export const orderIdSchema = { type: 'string', pattern: ORDER_ID_PATTERN } as const;

/** Longest a reservation may be held before it expires on its own. */
export const MAX_TTL_SECONDS = 24 * 3600;

export const reserveInput = {
  type: 'object',
  properties: {
    order_id: orderIdSchema,
    quantity: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    ttl_seconds: { type: 'integer', minimum: 1, maximum: MAX_TTL_SECONDS },
  },
  required: ['order_id', 'quantity', 'ttl_seconds'],
  additionalProperties: false,
} as const satisfies JSONSchema;
export type ReserveInput = FromSchema<typeof reserveInput>;

export const orderRefInput = {
  type: 'object',
  properties: { order_id: orderIdSchema },
  required: ['order_id'],
  additionalProperties: false,
} as const satisfies JSONSchema;
export type OrderRefInput = FromSchema<typeof orderRefInput>;

/** What an admin sends (the route adds who they are). */
export const adjustmentBody = {
  type: 'object',
  properties: {
    location: locationSchema,
    delta: { type: 'integer', minimum: -1_000_000_000, maximum: 1_000_000_000, not: { const: 0 } },
    reason: { type: 'string', minLength: 1, maxLength: 200 },
  },
  required: ['location', 'delta', 'reason'],
  additionalProperties: false,
} as const satisfies JSONSchema;

/**
 * Every adjustment carries its id, chosen before the actor is called (the route derives it from
 * the request's Idempotency-Key, else generates one), so a sidecar retry of the same actor call
 * carries the same id and is applied once.
 */
export const adjustmentIdSchema = { type: 'string', pattern: ORDER_ID_PATTERN } as const;

export const adjustInput = {
  type: 'object',
  properties: { ...adjustmentBody.properties, actor: { type: 'string', minLength: 1, maxLength: 200 }, adjustment_id: adjustmentIdSchema },
  required: ['location', 'delta', 'reason', 'actor', 'adjustment_id'],
  additionalProperties: false,
} as const satisfies JSONSchema;
export type AdjustInput = FromSchema<typeof adjustInput>;

/**
 * A return of committed stock for an order (the order service after a cancel that follows
 * payment): idempotent by (sku, order_id). Without `location` the quantity goes back where the
 * order's commit took it from.
 */
export const returnBody = {
  type: 'object',
  properties: {
    order_id: orderIdSchema,
    quantity: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    location: locationSchema,
  },
  required: ['order_id', 'quantity'],
  additionalProperties: false,
} as const satisfies JSONSchema;
export type ReturnInput = FromSchema<typeof returnBody>;

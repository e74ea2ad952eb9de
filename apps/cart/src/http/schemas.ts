import type { JSONSchema } from '../../../../kernel/validation';
import { MAX_LINE_QUANTITY } from '../domain/cart';
import { skuSchema } from '../../../../kernel/domain/sku';

const sku = { ...skuSchema, description: "A variant's SKU (the product's own SKU when absent)" } as const;
const actorId = { type: 'string', pattern: '^(user|guest)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', description: 'Actor id' } as const;

const expectedVersion = { type: 'integer', minimum: 0, maximum: 2_147_483_647, description: 'The cart version the client last saw' } as const;

export const addItemBody = {
  type: 'object',
  properties: {
    product_id: { type: 'string', format: 'uuid' },
    sku,
    quantity: { type: 'integer', minimum: 1, maximum: MAX_LINE_QUANTITY },
    expected_version: expectedVersion,
  },
  required: ['product_id', 'quantity', 'expected_version'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const setQuantityBody = {
  type: 'object',
  properties: {
    quantity: { type: 'integer', minimum: 0, maximum: MAX_LINE_QUANTITY, description: '0 removes the line' },
    sku: { ...sku, description: 'Which line of the product (needed when two of its variants are in the cart)' },
    expected_version: expectedVersion,
  },
  required: ['quantity', 'expected_version'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const productIdParams = {
  type: 'object',
  properties: { productId: { type: 'string', format: 'uuid' } },
  required: ['productId'],
  additionalProperties: false,
} as const satisfies JSONSchema;

/** DELETE has no body: the version travels in the query string. */
export const expectedVersionQuery = {
  type: 'object',
  properties: {
    expected_version: { type: 'string', pattern: '^(0|[1-9][0-9]{0,9})$' },
    sku: { ...sku, description: 'Which line of the product (needed when two of its variants are in the cart)' },
  },
  required: ['expected_version'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const mergeBody = {
  type: 'object',
  properties: { guest_cart_id: { type: 'string', format: 'uuid' } },
  required: ['guest_cart_id'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const ttlBody = {
  type: 'object',
  properties: {
    cart_id: actorId,
    ttl_seconds: { type: 'integer', minimum: 1, maximum: 31_536_000 },
  },
  required: ['cart_id', 'ttl_seconds'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const cartIdParams = {
  type: 'object',
  properties: { cartId: actorId },
  required: ['cartId'],
  additionalProperties: false,
} as const satisfies JSONSchema;

const orderId = { type: 'string', format: 'uuid' } as const;

export const holdBody = {
  type: 'object',
  properties: { order_id: orderId, hold_seconds: { type: 'integer', minimum: 1, maximum: 172_800 } },
  required: ['order_id', 'hold_seconds'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const releaseBody = {
  type: 'object',
  properties: { order_id: orderId },
  required: ['order_id'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const completeBody = {
  type: 'object',
  properties: {
    order_id: orderId,
    lines: {
      type: 'array',
      maxItems: 200,
      items: { type: 'object', properties: { sku: skuSchema, quantity: { type: 'integer', minimum: 1, maximum: 10_000 } }, required: ['sku', 'quantity'], additionalProperties: false },
    },
  },
  required: ['order_id', 'lines'],
  additionalProperties: false,
} as const satisfies JSONSchema;

const line = {
  type: 'object',
  properties: { product_id: { type: 'string' }, sku: { type: 'string' }, quantity: { type: 'integer' } },
} as const;

/** A cart as mutations answer it (no prices: GET /cart prices it from the catalog). */
export const cartSchema = {
  type: 'object',
  properties: {
    cart_id: { type: ['string', 'null'] },
    items: { type: 'array', items: line },
    version: { type: 'integer' },
    currency: { type: ['string', 'null'] },
    updated_at: { type: 'string' },
    expires_at: { type: 'string' },
    merged: { type: 'boolean' },
    checkout: { type: 'object', properties: { order_id: { type: 'string' }, until: { type: 'string' } }, description: 'The order being checked out from this cart (no change is taken meanwhile)' },
  },
} as const satisfies JSONSchema;

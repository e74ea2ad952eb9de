import type { JSONSchema } from '../../../../kernel/validation';
import { MAX_LINE_QUANTITY } from '../domain/cart';

const expectedVersion = { type: 'integer', minimum: 0, maximum: 2_147_483_647, description: 'The cart version the client last saw' } as const;

export const addItemBody = {
  type: 'object',
  properties: {
    product_id: { type: 'string', format: 'uuid' },
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
  properties: { expected_version: { type: 'string', pattern: '^(0|[1-9][0-9]{0,9})$' } },
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
    cart_id: { type: 'string', pattern: '^(user|guest)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', description: 'Actor id' },
    ttl_seconds: { type: 'integer', minimum: 1, maximum: 31_536_000 },
  },
  required: ['cart_id', 'ttl_seconds'],
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
  },
} as const satisfies JSONSchema;

import type { JSONSchema } from '../../../../kernel/validation';

const currency = { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217' } as const;
const minor = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Integer minor units (cents)' } as const;
const id = { type: 'string', minLength: 1, maxLength: 100 } as const;
const code = { type: 'string', pattern: '^[A-Za-z0-9_-]{3,40}$', description: 'Coupon code; matched case-insensitively' } as const;
const basisPoints = { type: 'integer', minimum: 1, maximum: 10000, description: '1/100 of a percent: 1000 = 10 %, 10000 = 100 %' } as const;

const condition = {
  type: 'object',
  properties: {
    min_subtotal_minor: minor,
    currency,
    product_ids: { type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: id },
  },
  required: ['currency'],
  additionalProperties: false,
} as const;

const action = {
  oneOf: [
    { type: 'object', properties: { type: { const: 'percentage' }, basis_points: basisPoints }, required: ['type', 'basis_points'], additionalProperties: false },
    { type: 'object', properties: { type: { const: 'fixed_amount' }, amount_minor: { ...minor, minimum: 1 }, currency }, required: ['type', 'amount_minor', 'currency'], additionalProperties: false },
    { type: 'object', properties: { type: { const: 'free_shipping' } }, required: ['type'], additionalProperties: false },
    {
      type: 'object',
      properties: {
        type: { const: 'buy_x_get_y' },
        buy_product_id: id,
        buy_quantity: { type: 'integer', minimum: 1, maximum: 1000 },
        get_product_id: id,
        get_quantity: { type: 'integer', minimum: 1, maximum: 1000 },
        basis_points: { ...basisPoints, description: 'Off each free unit; 10000 (the default) = free' },
      },
      required: ['type', 'buy_product_id', 'buy_quantity', 'get_product_id', 'get_quantity'],
      additionalProperties: false,
    },
  ],
} as const;

const timestamp = { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] } as const;
const limit = { anyOf: [{ type: 'integer', minimum: 1, maximum: 2147483647 }, { type: 'null' }] } as const;

const promotionProperties = {
  code: { anyOf: [code, { type: 'null' }], description: 'null or absent: an automatic promotion' },
  name: { type: 'string', minLength: 1, maxLength: 200 },
  condition,
  action,
  starts_at: timestamp,
  ends_at: timestamp,
  usage_limit: limit,
  per_customer_limit: limit,
  exclusive: { type: 'boolean' },
  priority: { type: 'integer', minimum: -1000000, maximum: 1000000, description: 'Higher applies first' },
  active: { type: 'boolean' },
} as const;

export const createPromotionBody = {
  type: 'object',
  properties: promotionProperties,
  required: ['name', 'condition', 'action'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const patchPromotionBody = {
  type: 'object',
  properties: promotionProperties,
  minProperties: 1,
  additionalProperties: false,
} as const satisfies JSONSchema;

export const listQuery = {
  type: 'object',
  properties: { view: { enum: ['running', 'admin'], description: 'admin: every promotion with codes and usage (admins only)' } },
  additionalProperties: false,
} as const satisfies JSONSchema;

const items = {
  type: 'array',
  minItems: 1,
  maxItems: 100,
  items: {
    type: 'object',
    properties: { product_id: id, quantity: { type: 'integer', minimum: 1, maximum: 1000 }, unit_price_minor: minor },
    required: ['product_id', 'quantity', 'unit_price_minor'],
    additionalProperties: false,
  },
} as const;

const couponCodes = { type: 'array', maxItems: 10, items: code } as const;

export const previewBody = {
  type: 'object',
  properties: { items, currency, coupon_codes: couponCodes },
  required: ['items', 'currency'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const redeemBody = {
  type: 'object',
  properties: { order_id: id, user_id: id, items, currency, coupon_codes: couponCodes },
  required: ['order_id', 'user_id', 'items', 'currency'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const releaseBody = {
  type: 'object',
  properties: { order_id: id },
  required: ['order_id'],
  additionalProperties: false,
} as const satisfies JSONSchema;

import type { JSONSchema } from '../../../../kernel/validation';
import { addressBody } from '../../../user/src/http/schemas';
import { methodCode } from './shipping-schemas';
import { ORDER_STATUSES } from '../domain/status';

// A shipping address is a saved address without its bookkeeping (label, default flag).
const { label: _label, is_default: _isDefault, ...addressFields } = addressBody.properties;

export const shippingAddress = {
  type: 'object',
  properties: addressFields,
  required: ['recipient', 'line1', 'city', 'postal_code', 'country'],
  additionalProperties: false,
} as const satisfies JSONSchema;

const couponCode = { type: 'string', pattern: '^[A-Za-z0-9_-]{3,40}$' } as const;

export const createOrderBody = {
  type: 'object',
  properties: {
    user_id: { type: 'string', format: 'uuid', description: 'Whose order; the caller when absent (only admins order for others)' },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      items: {
        type: 'object',
        properties: {
          product_id: { type: 'string', format: 'uuid' },
          sku: { type: 'string', minLength: 1, maxLength: 64, description: "A variant's SKU; the product's own when absent" },
          quantity: { type: 'integer', minimum: 1, maximum: 99 },
        },
        required: ['product_id', 'quantity'],
        additionalProperties: false,
      },
    },
    cart_id: { type: 'string', format: 'uuid', description: 'Check out a guest cart (its cart_id from POST /cart) instead of sending items' },
    from_cart: { const: true, description: 'Check out your own cart instead of sending items' },
    shipping_address: shippingAddress,
    coupon_codes: { type: 'array', maxItems: 5, uniqueItems: true, items: couponCode },
    shipping_method: { ...methodCode, description: 'The code of a shipping method (GET /shipping-methods); required once methods are configured (422 lists those that ship the order)' },
  },
  required: ['shipping_address'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const listOrdersQuery = {
  type: 'object',
  properties: {
    user_id: { type: 'string', format: 'uuid', description: 'Admins: whose orders (the caller when absent)' },
    limit: { type: 'string', pattern: '^(?:[1-9]|[1-9][0-9]|100)$', description: '1–100, default 20' },
    cursor: { type: 'string', maxLength: 200, description: 'next_cursor of the previous page' },
  },
  additionalProperties: false,
} as const satisfies JSONSchema;

const instant = { type: 'string', format: 'date-time', description: 'ISO 8601 date-time, inclusive' } as const;
const minorBound = { type: 'string', pattern: '^[0-9]{1,15}$', description: 'Integer minor units, inclusive' } as const;

export const adminOrdersQuery = {
  type: 'object',
  properties: {
    status: { type: 'string', maxLength: 200, pattern: `^(?:${ORDER_STATUSES.join('|')})(?:,(?:${ORDER_STATUSES.join('|')}))*$`, description: 'One status, or several separated by commas' },
    email: { type: 'string', format: 'email', maxLength: 254, description: "The customer's e-mail" },
    user_id: { type: 'string', format: 'uuid', description: 'The customer' },
    created_from: instant,
    created_to: instant,
    min_total_minor: minorBound,
    max_total_minor: minorBound,
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    limit: { type: 'string', pattern: '^(?:[1-9]|[1-9][0-9]|100)$', description: '1–100, default 20' },
    cursor: { type: 'string', maxLength: 200, description: 'next_cursor of the previous page' },
  },
  additionalProperties: false,
} as const satisfies JSONSchema;

export const cancelBody = {
  type: 'object',
  properties: { reason: { type: 'string', maxLength: 500 } },
  additionalProperties: false,
} as const satisfies JSONSchema;

export const refundBody = cancelBody;

export const returnBody = {
  type: 'object',
  properties: {
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      items: {
        type: 'object',
        properties: {
          sku: { type: 'string', minLength: 1, maxLength: 64, description: 'A SKU of the order' },
          quantity: { type: 'integer', minimum: 1, maximum: 99 },
          restock: { type: 'boolean', description: 'Put the units back on hand (default true; false for damaged goods)' },
        },
        required: ['sku', 'quantity'],
        additionalProperties: false,
      },
    },
    reason: { type: 'string', maxLength: 500 },
  },
  required: ['items'],
  additionalProperties: false,
} as const satisfies JSONSchema;

const money = { type: 'string', description: 'Decimal amount in the order currency' } as const;

export const orderSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    user_id: { type: 'string', format: 'uuid' },
    status: { enum: ['pending', 'reserved', 'awaiting_payment', 'paid', 'fulfilled', 'cancelling', 'cancelled', 'failed', 'refunded'] },
    currency: { type: 'string' },
    subtotal: money,
    discount: money,
    shipping: money,
    total: money,
    total_minor: { type: 'integer' },
    tax: { ...money, description: 'Tax of the lines and shipping (estimated before promotions until the order is awaiting payment)' },
    tax_minor: { type: 'integer' },
    shipping_tax_minor: { type: 'integer' },
    prices_include_tax: { type: ['boolean', 'null'], description: 'true: the prices hold the tax (the total does not grow); false: the tax is added to the total; null: placed before tax existed' },
    shipping_method: { type: ['object', 'null'], description: '{ code, name, price_minor, price } as chosen when the order was placed; null: the flat fee' },
    items: { type: 'array', description: 'The lines, each with tax_class, tax_rate_bp and tax_minor' },
    refunded: money,
    refunded_minor: { type: 'integer', description: 'Refunded so far by cancels after payment, refunds and returns' },
    reversals: { type: 'array', description: 'Cancels after payment, refunds and returns, each with the steps done (refund, restock, coupons) and completed_at' },
    failure_reason: { type: ['string', 'null'] },
    payment: {
      type: ['object', 'null'],
      description: 'payment_id, intent_id and client_secret (to confirm the PaymentIntent with Stripe.js; again with another card after a decline), and the attempts: each declined card, then the payment',
      properties: {
        payment_id: { type: 'string' },
        intent_id: { type: ['string', 'null'] },
        client_secret: { type: ['string', 'null'] },
        attempts: { type: 'array', items: { type: 'object', properties: { outcome: { enum: ['declined', 'succeeded'] }, attempt: { type: ['integer', 'null'] }, detail: { type: ['string', 'null'] }, at: { type: 'string' } } } },
      },
    },
    cart_id: { type: ['string', 'null'], description: 'The cart the order was placed from (emptied once paid, given back otherwise)' },
    version: { type: 'integer' },
  },
} as const satisfies JSONSchema;

import type { JSONSchema } from '../../../../kernel/validation';
import { skuSchema } from '../../../../kernel/domain/sku';

const decimalAmount = {
  anyOf: [
    { type: 'number', minimum: 0 },
    { type: 'string', pattern: '^[0-9]{1,15}(\\.[0-9]{1,4})?$' },
  ],
  description: 'Decimal amount in major units, e.g. 1299.99 or "1299.99"; converted exactly to minor units',
} as const;

const currency = { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217' } as const;

const attributes = {
  type: 'object',
  maxProperties: 50,
  propertyNames: { pattern: '^[a-z][a-z0-9_]{0,39}$' },
  additionalProperties: {
    anyOf: [
      { type: 'string', maxLength: 200 },
      { type: 'number' },
      { type: 'boolean' },
      { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 200 } },
    ],
  },
} as const;

const variant = {
  type: 'object',
  properties: {
    sku: skuSchema,
    name: { type: 'string', maxLength: 200 },
    options: { type: 'object', maxProperties: 10, propertyNames: { pattern: '^[a-z][a-z0-9_]{0,39}$' }, additionalProperties: { type: 'string', minLength: 1, maxLength: 100 } },
    price: decimalAmount,
  },
  required: ['sku', 'options'],
  additionalProperties: false,
} as const;

/**
 * A product image: an https URL (never http: mixed content, nor javascript: or data: — the URL
 * ends up in shop pages) and its alt text, required because a product image says something.
 * `position` orders them (default: the order given); the first is the one search shows.
 */
export const MAX_IMAGES = 10;
const image = {
  type: 'object',
  properties: {
    url: { type: 'string', format: 'uri', pattern: '^https://[^/?#\\s]+', maxLength: 2048, description: 'https only' },
    alt: { type: 'string', minLength: 1, maxLength: 300, description: 'What the image shows (alternative text)' },
    position: { type: 'integer', minimum: 0, maximum: 1000, description: 'Lower first; default: the order given' },
  },
  required: ['url', 'alt'],
  additionalProperties: false,
} as const;

const productProperties = {
  sku: skuSchema,
  name: { type: 'string', minLength: 1, maxLength: 200 },
  description: { type: 'string', maxLength: 5000 },
  base_price: decimalAmount,
  currency,
  category_id: { anyOf: [{ type: 'string', format: 'uuid' }, { type: 'null' }] },
  attributes,
  status: { enum: ['draft', 'active', 'archived'] },
  variants: { type: 'array', maxItems: 100, items: variant },
  images: { type: 'array', maxItems: MAX_IMAGES, items: image, description: 'Replaces all images on PATCH' },
  weight_grams: { type: 'integer', minimum: 0, maximum: 10_000_000, description: 'Shipping weight of one unit in grams (default 0)' },
  tax_class: { enum: ['standard', 'reduced', 'zero'], description: 'Which tax rate applies (default standard)' },
} as const;

export const createProductBody = {
  type: 'object',
  properties: productProperties,
  required: ['sku', 'name', 'base_price'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const patchProductBody = {
  type: 'object',
  properties: productProperties,
  minProperties: 1,
  additionalProperties: false,
} as const satisfies JSONSchema;

export const listProductsQuery = {
  type: 'object',
  properties: {
    page_size: { type: 'string', pattern: '^(?:[1-9]|[1-9][0-9]|100)$', description: '1–100, default 20' },
    cursor: { type: 'string', maxLength: 500, description: 'next_cursor of the previous page' },
    sort: { enum: ['newest', 'oldest', 'name', 'price_asc', 'price_desc'] },
    category_id: { type: 'string', format: 'uuid', description: 'this category and its descendants' },
    status: { enum: ['draft', 'active', 'archived'], description: 'admins only; others see active products' },
  },
  additionalProperties: false,
} as const satisfies JSONSchema;

export const exportQuery = {
  type: 'object',
  properties: {
    after: { type: 'string', format: 'uuid' },
    limit: { type: 'string', pattern: '^(?:[1-9][0-9]{0,2}|1000)$' },
  },
  additionalProperties: false,
} as const satisfies JSONSchema;

export const categoryBody = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, parent_id: { anyOf: [{ type: 'string', format: 'uuid' }, { type: 'null' }] } },
  required: ['name'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const categoryPatch = {
  type: 'object',
  properties: categoryBody.properties,
  minProperties: 1,
  additionalProperties: false,
} as const satisfies JSONSchema;

export const product = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    sku: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    base_price: { type: 'string', description: 'Decimal amount, exact (e.g. "1299.99")' },
    base_price_minor: { type: 'integer' },
    currency: { type: 'string' },
    category_id: { type: ['string', 'null'] },
    attributes: { type: 'object' },
    status: { enum: ['draft', 'active', 'archived'] },
    variants: { type: 'array' },
    images: {
      type: 'array',
      items: { type: 'object', properties: { url: { type: 'string' }, alt: { type: 'string' }, position: { type: 'integer' } }, required: ['url', 'alt', 'position'] },
    },
    weight_grams: { type: 'integer' },
    tax_class: { enum: ['standard', 'reduced', 'zero'] },
    version: { type: 'integer' },
  },
  required: ['id', 'sku', 'name', 'base_price', 'base_price_minor', 'currency', 'status', 'version'],
} as const satisfies JSONSchema;

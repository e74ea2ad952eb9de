import type { JSONSchema } from '../../../../kernel/validation';
import { TAX_CLASSES } from '../domain/tax';

const minor = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Integer minor units' } as const;
const currency = { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217' } as const;
const country = { type: 'string', pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' } as const;
export const methodCode = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$', description: 'The method’s code (1–40 letters, digits, _ and -)' } as const;

const methodFields = {
  name: { type: 'string', minLength: 1, maxLength: 100 },
  countries: {
    type: 'array', minItems: 1, maxItems: 250, uniqueItems: true,
    items: { type: 'string', pattern: '^(?:[A-Z]{2}|\\*)$' },
    description: "Where it ships: ISO 3166-1 alpha-2 codes, or ['*'] for everywhere",
  },
  currency,
  rate_by: { enum: ['weight', 'order_value'], description: 'What the brackets measure: the parcel’s grams, or the order’s subtotal (minor units, before discounts)' },
  rates: {
    type: 'array', minItems: 1, maxItems: 50,
    description: 'Brackets in ascending order of up_to (inclusive); the last may be open (null). A cart above every bracket cannot use the method',
    items: {
      type: 'object',
      properties: { up_to: { anyOf: [{ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, { type: 'null' }] }, price_minor: minor },
      required: ['up_to', 'price_minor'],
      additionalProperties: false,
    },
  },
  free_over_minor: { anyOf: [minor, { type: 'null' }], description: 'Ships free when the subtotal reaches this (null or absent: never)' },
  active: { type: 'boolean', description: 'Offered to customers (default true)' },
} as const;

const required = ['name', 'countries', 'currency', 'rate_by', 'rates'] as const;

export const createMethodBody = {
  type: 'object',
  properties: { code: methodCode, ...methodFields },
  required: ['code', ...required],
  additionalProperties: false,
} as const satisfies JSONSchema;

/** PUT replaces the method: the same fields as a create, the code in the path. */
export const replaceMethodBody = {
  type: 'object',
  properties: methodFields,
  required,
  additionalProperties: false,
} as const satisfies JSONSchema;

export const methodParams = {
  type: 'object',
  properties: { code: methodCode },
  required: ['code'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const methodsQuery = {
  type: 'object',
  properties: {
    country: { ...country, description: 'Only methods shipping there' },
    currency: { ...currency, description: 'Only methods priced in it' },
    weight_grams: { type: 'string', pattern: '^[0-9]{1,9}$', description: 'With country and currency: price each method for a parcel this heavy' },
    subtotal_minor: { type: 'string', pattern: '^[0-9]{1,15}$', description: 'With country and currency: price each method for an order worth this (minor units)' },
    view: { enum: ['offered', 'admin'], description: 'admin: every method, inactive ones too, with its rate table (admins only)' },
  },
  additionalProperties: false,
} as const satisfies JSONSchema;

export const taxRatesBody = {
  type: 'object',
  properties: {
    rates: {
      type: 'array', maxItems: 1000,
      description: 'The whole table: each (country, tax_class) once; a pair not listed is 0',
      items: {
        type: 'object',
        properties: { country, tax_class: { enum: TAX_CLASSES }, rate_bp: { type: 'integer', minimum: 0, maximum: 10000, description: 'Basis points: 1900 = 19 %' } },
        required: ['country', 'tax_class', 'rate_bp'],
        additionalProperties: false,
      },
    },
  },
  required: ['rates'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const shippingMethodSchema = {
  type: 'object',
  properties: {
    code: { type: 'string' },
    name: { type: 'string' },
    countries: { type: 'array', items: { type: 'string' } },
    currency: { type: 'string' },
    rate_by: { enum: ['weight', 'order_value'] },
    rates: { type: 'array' },
    free_over_minor: { type: ['integer', 'null'] },
    active: { type: 'boolean' },
    version: { type: 'integer' },
  },
} as const satisfies JSONSchema;

import type { JSONSchema } from '../../../../kernel/validation';
import { MAX_ATTRIBUTE_FILTERS, MAX_VALUES_PER_ATTRIBUTE, SORT_KEYS } from '../domain/criteria';

/** A decimal amount in major units ("10", "10.5", "10.50"); converted exactly with the currency's exponent. */
const decimalAmount = { type: 'string', pattern: '^[0-9]{1,12}(\\.[0-9]{1,3})?$' } as const;
const attributeValue = { type: 'string', minLength: 1, maxLength: 100 } as const;

/** `attr.<name>`: the attribute name as the catalog spells it (any characters, at most 64). */
export const ATTRIBUTE_PREFIX = 'attr.';

/**
 * Query of GET /search. Unknown parameters are a 400 (additionalProperties: false); a repeated
 * parameter arrives as an array and is a 400 too, except `attr.<name>`, whose repeats are
 * alternatives (attr.color=red&attr.color=blue).
 */
export const searchQuery = {
  type: 'object',
  properties: {
    q: { type: 'string', minLength: 1, maxLength: 200, description: 'Words to look for in name, description and SKU; typos tolerated.' },
    category: { type: 'string', format: 'uuid', description: 'Category id; products of any category below it match too.' },
    price_min: { ...decimalAmount, description: 'Lowest base price, a decimal in major units ("10.50"); needs `currency`.' },
    price_max: { ...decimalAmount, description: 'Highest base price, a decimal in major units; needs `currency`.' },
    currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code: only products priced in it; also the price facet currency.' },
    in_stock: { enum: ['true'], description: 'Only products known to be in stock.' },
    sort: { enum: [...SORT_KEYS], description: 'relevance (default; newest when there is no `q`), price_asc, price_desc, newest, name.' },
    page_size: { type: 'string', pattern: '^(?:[1-9]|[1-9][0-9]|100)$', description: 'Items per page, 1–100 (default 20).' },
    cursor: { type: 'string', minLength: 1, maxLength: 2048, pattern: '^[A-Za-z0-9_-]+$', description: 'next_cursor of the previous page of the same query.' },
  },
  patternProperties: {
    '^attr\\..{1,64}$': {
      anyOf: [attributeValue, { type: 'array', items: attributeValue, minItems: 1, maxItems: MAX_VALUES_PER_ATTRIBUTE }],
    },
  },
  additionalProperties: false,
  // Nine named parameters plus the attribute filters.
  maxProperties: 9 + MAX_ATTRIBUTE_FILTERS,
  // A price bound is meaningless without the currency it is in.
  dependencies: { price_min: ['currency'], price_max: ['currency'] },
} as const satisfies JSONSchema;

export const suggestQuery = {
  type: 'object',
  properties: { q: { type: 'string', minLength: 1, maxLength: 100, description: 'What has been typed so far.' } },
  required: ['q'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const reindexQuery = {
  type: 'object',
  properties: { force: { enum: ['true'], description: 'Remove the marker a crashed rebuild left behind, then start.' } },
  additionalProperties: false,
} as const satisfies JSONSchema;

const nullable = <const T extends 'string' | 'integer' | 'number' | 'boolean' | 'object'>(type: T) => ({ type: [type, 'null'] }) as const;
const facetValue = {
  type: 'object',
  properties: { value: { type: 'string' }, count: { type: 'integer' } },
  required: ['value', 'count'],
} as const;

export const searchResponse = {
  type: 'object',
  properties: {
    total: { type: 'integer' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          sku: { type: 'string' },
          name: nullable('string'),
          description: nullable('string'),
          price: { ...nullable('string'), description: 'Decimal string, exact' },
          price_minor: nullable('integer'),
          currency: nullable('string'),
          category: nullable('object'),
          attributes: nullable('object'),
          in_stock: { ...nullable('boolean'), description: "available > 0 over the product's SKUs; null until the inventory has reported any of them" },
          stock_bucket: { enum: ['none', 'low', 'some', 'many', null], description: 'none (0), low (1–9), some (10–99), many (100+); null while unknown' },
          image: {
            oneOf: [
              { type: 'null' },
              { type: 'object', properties: { url: { type: 'string' }, alt: { type: 'string' } }, required: ['url', 'alt'] },
            ],
            description: "The product's first image (lowest position), or null",
          },
          score: nullable('number'),
        },
        required: ['id', 'sku', 'name', 'price', 'price_minor', 'currency', 'in_stock', 'score'],
      },
    },
    facets: {
      type: 'object',
      properties: {
        category: { type: 'array', items: { ...facetValue, properties: { ...facetValue.properties, name: nullable('string') } } },
        attributes: { type: 'object', additionalProperties: { type: 'array', items: facetValue } },
        stock: { type: 'array', items: facetValue, description: 'Products per stock bucket (none, low, some, many); products of unknown stock are not counted' },
        price: {
          type: 'object',
          properties: {
            currency: { type: 'string' },
            ranges: {
              type: 'array',
              items: { type: 'object', properties: { from: nullable('string'), to: nullable('string'), count: { type: 'integer' } } },
            },
          },
        },
      },
    },
    next_cursor: nullable('string'),
  },
  required: ['total', 'items', 'facets', 'next_cursor'],
} as const satisfies JSONSchema;

export const suggestResponse = {
  type: 'object',
  properties: {
    suggestions: {
      type: 'array',
      items: {
        type: 'object',
        properties: { text: { type: 'string' }, id: { type: 'string' }, sku: { type: 'string' } },
        required: ['text', 'id', 'sku'],
      },
    },
  },
  required: ['suggestions'],
} as const satisfies JSONSchema;

import { toMinorUnits } from '../../../../kernel/domain/money';
import { HttpProblem, validationProblem, type ValidationIssue } from '../../../../kernel/problem';
import type { FromSchema } from '../../../../kernel/validation';
import { fingerprintOf, MAX_ATTRIBUTE_FILTERS, type AttributeFilter, type SearchCriteria } from '../domain/criteria';
import { decodeCursor, InvalidCursor, type SortValue } from '../domain/cursor';
import { sortPlanOf } from '../domain/search-request';
import { ATTRIBUTE_PREFIX, type searchQuery } from './schemas';

export type SearchQuery = FromSchema<typeof searchQuery>;

export const DEFAULT_PAGE_SIZE = 20;

export interface ParsedSearch {
  criteria: SearchCriteria;
  pageSize: number;
  after?: SortValue[];
}

/**
 * From a schema-valid query to search criteria: the checks JSON Schema cannot express.
 * Prices are decimal strings in major units, converted exactly to minor units for the given
 * currency ("10.5" EUR → 1050; "10.505" EUR is a 400, never rounded). Throws 400 problems.
 */
export function parseSearchQuery(query: SearchQuery): ParsedSearch {
  const issues: ValidationIssue[] = [];
  const price = (field: 'price_min' | 'price_max'): number | undefined => {
    const text = query[field];
    if (text === undefined || query.currency === undefined) return undefined;
    const minor = toMinorUnits(text, query.currency);
    if (minor === undefined) issues.push({ pointer: `/query/${field}`, detail: `is not an amount in ${query.currency}` });
    return minor;
  };
  const priceMinMinor = price('price_min');
  const priceMaxMinor = price('price_max');
  if (priceMinMinor !== undefined && priceMaxMinor !== undefined && priceMinMinor > priceMaxMinor) {
    issues.push({ pointer: '/query/price_min', detail: 'must not be above price_max' });
  }
  const attributes = attributeFiltersOf(query);
  if (attributes.length > MAX_ATTRIBUTE_FILTERS) issues.push({ pointer: '/query', detail: `at most ${MAX_ATTRIBUTE_FILTERS} attr.<name> filters` });
  if (issues.length) throw validationProblem(issues);

  const criteria: SearchCriteria = {
    text: query.q?.trim() || undefined,
    categoryId: query.category,
    currency: query.currency,
    priceMinMinor,
    priceMaxMinor,
    attributes,
    inStockOnly: query.in_stock === 'true',
    sort: query.sort ?? 'relevance',
  };
  const pageSize = query.page_size === undefined ? DEFAULT_PAGE_SIZE : Number(query.page_size);
  if (query.cursor === undefined) return { criteria, pageSize };
  try {
    const after = decodeCursor(query.cursor, { sort: criteria.sort, fingerprint: fingerprintOf(criteria), types: sortPlanOf(criteria).valueTypes });
    return { criteria, pageSize, after };
  } catch (err) {
    if (err instanceof InvalidCursor) throw new HttpProblem(400, err.message, { extensions: { errors: [{ pointer: '/query/cursor', detail: err.message }] } });
    throw err;
  }
}

function attributeFiltersOf(query: SearchQuery): AttributeFilter[] {
  const filters: AttributeFilter[] = [];
  for (const [key, raw] of Object.entries(query as Record<string, unknown>)) {
    if (!key.startsWith(ATTRIBUTE_PREFIX) || raw === undefined) continue;
    const values = Array.isArray(raw) ? raw.map(String) : [String(raw)];
    filters.push({ name: key.slice(ATTRIBUTE_PREFIX.length), values: [...new Set(values)] });
  }
  return filters;
}

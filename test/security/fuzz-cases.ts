/**
 * Malformed requests generated from an OpenAPI operation: bodies from its request schema,
 * odd path parameters and query strings. Deterministic: everything random comes from one
 * seeded generator, so a failing case is the same case on the next run.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { OpenApiOperation, OpenApiParameter } from '../../kernel/http/openapi';
import { inspectJson } from '../../kernel/validation';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = Record<string, any>;
const MUTATING = new Set(['post', 'put', 'patch', 'delete']);

/** mulberry32: small, fast and good enough to pick cases. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = '89ab'[Math.floor(random() * 4)]!;
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** One request to send: the body as bytes exactly (or none), its media type, and the URL parts. */
export interface FuzzCase {
  label: string;
  /** The path with every `{param}` filled, already percent-encoded. */
  path: string;
  /** Raw query string (without `?`), already encoded; empty for none. */
  query: string;
  body?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Strings that stress storage and display without being malformed JSON. */
const UNICODE_ODDITIES = [
  '\u202Eevil\u202C', // right-to-left override
  'zero\u200Bwidth\u200D\uFEFFjoin', // zero-width space, joiner, BOM
  'e\u0301\u0301\u0301\u0301combining', // stacked combining marks
  '\uFFFF\uFFFEnoncharacters\uFDD0',
  '😀👩‍👩‍👧‍👦🏳️‍🌈', // astral plane, ZWJ sequences
  'Ｆｕｌｌｗｉｄｔｈ İı ß ǅ', // case-mapping oddities
  '\u0085\u2028\u2029line separators',
];
const CONTROLS = '\u0001\u0007\b\u001b[31m\u007f\u009b';
const MB = 1_000_000;

/** Every JSON type but the ones a schema allows. */
function wrongTypes(schema: Schema): Json[] {
  const allowed = new Set<string>(Array.isArray(schema?.type) ? schema.type : schema?.type ? [schema.type] : []);
  const samples: Array<[string, Json]> = [['string', 'not-the-right-type'], ['integer', 12345], ['number', 1.5], ['boolean', true], ['null', null], ['array', [1, 'two']], ['object', { nested: 'object' }]];
  return samples.filter(([type]) => !allowed.has(type) && !(type === 'integer' && allowed.has('number'))).map(([, value]) => value);
}

/** A value that satisfies `schema` as far as a simple sampler can; the fuzz mutates it. */
export function sample(schema: Schema | undefined, random: () => number, depth = 0): Json {
  if (!schema || depth > 6) return null;
  if ('const' in schema) return schema.const as Json;
  if (schema.enum) return schema.enum[0] as Json;
  for (const key of ['anyOf', 'oneOf'] as const) if (Array.isArray(schema[key])) return sample(schema[key][0], random, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') ?? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, Json> = {};
      for (const name of (schema.required as string[] | undefined) ?? []) out[name] = sample(schema.properties?.[name], random, depth + 1);
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(schema.minItems ?? 0, schema.items && !schema.uniqueItems ? 1 : 0) }, () => sample(schema.items, random, depth + 1));
    case 'integer':
    case 'number':
      return Math.max(schema.minimum ?? 1, Math.min(schema.maximum ?? 1, 1));
    case 'boolean':
      return true;
    case 'string':
      return sampleString(schema, random);
    default:
      return schema.properties ? sample({ ...schema, type: 'object' }, random, depth) : null;
  }
}

function sampleString(schema: Schema, random: () => number): string {
  switch (schema.format) {
    case 'uuid': return uuidFrom(random);
    case 'email': return 'fuzz@example.test';
    case 'date-time': return '2030-01-01T00:00:00Z';
    case 'uri': return 'https://example.test/';
    default: break;
  }
  if (schema.pattern) {
    const re = new RegExp(schema.pattern, 'u');
    const candidates = ['USD', 'US', 'FUZZ-1', 'FUZZ1', 'fuzz_1', '10.00', '1', 'abc', 'true', `user-${uuidFrom(random)}`, '+1 555 0100'];
    return candidates.find((c) => re.test(c) && c.length >= (schema.minLength ?? 0)) ?? 'x';
  }
  return 'f'.repeat(Math.max(schema.minLength ?? 1, 4)).slice(0, schema.maxLength ?? Infinity);
}

/** The schema of the property at `path` (object properties only). */
function propertiesOf(schema: Schema | undefined): Array<[string, Schema]> {
  if (!schema) return [];
  const branch = schema.properties ? schema : (schema.anyOf ?? schema.oneOf ?? []).find((s: Schema) => s?.properties);
  return branch ? Object.entries(branch.properties as Record<string, Schema>) : [];
}

function withValue(base: Json, path: string[], value: Json): Json {
  const copy = structuredClone(base) as Record<string, Json>;
  let at: Record<string, Json> = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null || Array.isArray(at[key])) at[key] = {};
    at = at[key] as Record<string, Json>;
  }
  at[path[path.length - 1]!] = value;
  return copy;
}

const nested = (depth: number, leaf = '0') => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;

/**
 * At least `minimum` malformed bodies for a request schema: whole-body faults (invalid JSON,
 * wrong media type, empty, not an object, deep nesting, extra properties, a 1 MB string) and
 * per-property faults (wrong types, NUL, huge strings, numbers out of range, unicode oddities,
 * control characters, huge arrays), one level into nested objects too.
 */
export function bodyCases(schema: Schema, random: () => number, minimum = 30): Array<Omit<FuzzCase, 'path' | 'query'>> {
  const base = sample(schema, random);
  const json = (label: string, value: unknown) => ({ label, body: JSON.stringify(value), contentType: 'application/json' });
  const raw = (label: string, body: string | Buffer, contentType = 'application/json') => ({ label, body, contentType });
  const props = propertiesOf(schema);
  const firstString = props.find(([, s]) => s.type === 'string')?.[0] ?? props[0]?.[0] ?? 'field';

  const whole = [
    raw('invalid JSON: truncated', '{"a":'),
    raw('invalid JSON: single quotes', "{'a': 1}"),
    raw('invalid JSON: trailing comma', `{"${firstString}":1,}`),
    raw('invalid JSON: comment', '{/* hi */}'),
    raw('invalid JSON: NaN', '{"a": NaN}'),
    raw('invalid JSON: raw control character in a string', '{"a":"x\u0001y"}'),
    raw('invalid JSON: only whitespace', '   \n\t '),
    raw('bytes that are not UTF-8', Buffer.concat([Buffer.from(`{"${firstString}":"`), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')])),
    raw('UTF-16 body', Buffer.from(JSON.stringify(base), 'utf16le')),
    { label: 'empty body with a JSON content type', body: '', contentType: 'application/json' },
    { label: 'no body, no content type' },
    raw('wrong content type: text/plain', JSON.stringify(base), 'text/plain'),
    raw('wrong content type: form', 'a=1&b=2', 'application/x-www-form-urlencoded'),
    raw('wrong content type: multipart', '--x\r\n\r\n--x--', 'multipart/form-data; boundary=x'),
    { ...raw('compressed body', JSON.stringify(base)), headers: { 'content-encoding': 'gzip' } },
    json('null instead of an object', null),
    json('array instead of an object', [base]),
    json('string instead of an object', 'just a string'),
    json('number instead of an object', 42),
    json('empty object', {}),
    raw('10,000 nested arrays', nested(10_000)),
    raw('10,000 nested arrays in a property', `{"${firstString}":${nested(10_000)}}`),
    raw('10,000 nested objects', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`),
    json('an unknown property', { ...(base as object), __fuzz_unknown: 1 }),
    json('500 unknown properties', { ...(base as object), ...Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`x${i}`, i])) }),
    json('NUL in a property name', { ...(base as object), 'a\u0000b': 1 }),
    raw('__proto__ property', `{"__proto__":{"role":"admin"},"${firstString}":"x"}`),
    json(`a 1 MB string in ${firstString}`, withValue(base, [firstString], 'x'.repeat(MB))),
    raw('a lone surrogate escaped', JSON.stringify(withValue(base, [firstString], 'SURROGATE')).replace('"SURROGATE"', '"\\ud800"')),
    raw('duplicate keys', `{"${firstString}":1,"${firstString}":"two"}`),
    raw('a number beyond double precision', `{"${firstString}":1e400}`),
  ];

  const perProperty: Array<Omit<FuzzCase, 'path' | 'query'>> = [];
  const visit = (entries: Array<[string, Schema]>, prefix: string[]) => {
    for (const [name, propSchema] of entries) {
      const path = [...prefix, name];
      const at = (label: string, value: Json) => perProperty.push(json(`${path.join('.')}: ${label}`, withValue(base, path, value)));
      for (const value of wrongTypes(propSchema)) at(`wrong type ${JSON.stringify(value)}`, value);
      at('NUL inside a string', 'ab\u0000cd');
      at('100 kB string', 'y'.repeat(100_000));
      at('control characters', `ctl${CONTROLS}`);
      at('unicode oddity', UNICODE_ODDITIES[Math.floor(random() * UNICODE_ODDITIES.length)]!);
      at('negative number', -1);
      at('number out of range', 1e308);
      at('beyond safe integers', 2 ** 53 + 1);
      at('a fraction', 0.5);
      at('10,000-item array', Array.from({ length: 10_000 }, () => 1));
      at('array of NUL strings', ['\u0000', 'ok']);
      if (propSchema.type === 'string' || propSchema.format) at('empty string', '');
      if (propSchema.format === 'uuid') at('almost a UUID', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz');
      if (prefix.length === 0) visit(propertiesOf(propSchema), path);
    }
  };
  visit(props, []);

  // Every whole-body case, then property cases picked by the seeded generator (at most 40), so
  // a big schema does not mean thousands of requests.
  const picked = [...perProperty];
  for (let i = picked.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [picked[i], picked[j]] = [picked[j]!, picked[i]!];
  }
  const cases = [...whole, ...picked.slice(0, 40)];
  while (cases.length < minimum) cases.push(json(`padding ${cases.length}: random unknown property`, { ...(base as object), [`p${Math.floor(random() * 1e6)}`]: null }));
  return cases;
}

/** Path values that must never be a 5xx, given already percent-encoded (`..`, slashes and `;` are the gateway's business). */
export function oddPathValues(random: () => number): Array<{ label: string; encoded: string }> {
  const id = uuidFrom(random);
  const encoded: Array<[string, string]> = [
    ['%00', '%00'], ['NUL inside', 'a%00b'], ['%01', '%01'], ['tab', '%09'], ['DEL', '%7F'],
    ['truncated UTF-8 escape', '%E0%A4%A'], ['not an escape', '%zz'], ['lone %', '%'], ['overlong UTF-8', '%C0%AF'],
    ['encoded surrogate', '%ED%A0%80'], ['noncharacter', '%EF%BF%BF'], ['encoded space', '%20'],
  ];
  const plain: Array<[string, string]> = [
    ['4,000 characters', 'x'.repeat(4000)], ['unicode', 'ünïcødé-😀'], ['right-to-left override', '\u202Eevil'],
    ['-1', '-1'], ['0', '0'], ['20 digits', '99999999999999999999'], ['a fraction', '1.5'], ['1e309', '1e309'],
    ['not a UUID', 'not-a-uuid'], ['nil UUID', '00000000-0000-0000-0000-000000000000'], ['UUID of Zs', 'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ'],
    ['upper-case UUID', id.toUpperCase()], ['UUID in braces', `{${id}}`], ['UUID and more', `${id}x`], ['UUID without dashes', id.replace(/-/g, '')],
    ['null', 'null'], ['true', 'true'], ['[]', '[]'], ['SQL', "' OR '1'='1"], ['me', 'me'],
  ];
  return [...encoded.map(([label, e]) => ({ label, encoded: e })), ...plain.map(([label, p]) => ({ label, encoded: encodeURIComponent(p) }))];
}

/** A value the parameter's schema accepts (a UUID where either a UUID or `me` is allowed: strangers' ids are 404s). */
export function validParam(parameter: OpenApiParameter, random: () => number): string {
  const schema = parameter.schema as Schema;
  const uuidBranch = (schema?.anyOf ?? []).find((s: Schema) => s?.format === 'uuid');
  return String(sample(uuidBranch ?? schema ?? { type: 'string' }, random));
}

/** Odd query strings for an operation that declares query parameters. */
export function queryCases(parameters: OpenApiParameter[]): Array<{ label: string; query: string }> {
  const name = parameters.find((p) => p.in === 'query')?.name ?? 'q';
  const n = encodeURIComponent(name);
  return [
    { label: `${name}: NUL`, query: `${n}=a%00b` },
    { label: `${name}: malformed escape`, query: `${n}=%E0%A4%A` },
    { label: `${name}: not an escape`, query: `${n}=%zz` },
    { label: `${name}: 8,000 characters`, query: `${n}=${'q'.repeat(8000)}` },
    { label: `${name}: repeated`, query: `${n}=1&${n}=2&${n}=3` },
    { label: `${name}: control characters`, query: `${n}=%01%1B%7F` },
    { label: `${name}: unicode`, query: `${n}=${encodeURIComponent('ünï😀\u202E')}` },
    { label: 'an unknown parameter', query: `${n}=1&fuzz_unknown=1` },
    { label: 'a malformed parameter name', query: `%zz=1` },
  ];
}

const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/**
 * Forged page cursors, for an operation with a `cursor` parameter: base64url JSON shaped like
 * the cursors our services issue (`[sort, value, id]`, `{c, i}`, `{v, s, h, a}`) but holding
 * values of the wrong type or range, plus garbage. With `sort` given, each sort is paired with
 * values that its column cannot compare with (a date that is not one, text for a price, …).
 */
export function forgedCursors(sorts: string[], random: () => number): Array<{ label: string; query: string }> {
  const id = uuidFrom(random);
  const values: Json[] = ['1', 'abc', -1, 1.5, 2 ** 63, '9999-99-99T99:99:99Z', '\u0000', null, [], {}];
  const shaped: Array<[string, string, Json]> = [];
  for (const sort of sorts) for (const value of values) shaped.push([`${sort} cursor with ${JSON.stringify(value)}`, sort, [sort, value, id]]);
  const generic: Array<[string, Json]> = [
    ['36 dashes for an id', [sorts[0] ?? 'newest', '2020-01-01T00:00:00.000Z', '-'.repeat(36)]],
    ['{c, i} with a loose date', { c: '1', i: id }],
    ['{c, i} with dashes', { c: '2020-01-01T00:00:00.000Z', i: '-'.repeat(36) }],
    ['{v, s, h, a} with odd values', { v: 1, s: sorts[0] ?? 'relevance', h: 'x', a: [null, {}, 1e308] }],
    ['an empty array', []],
    ['a string', 'cursor'],
    ['null', null],
  ];
  const sortParam = (sort: string) => (sorts.length ? `&sort=${encodeURIComponent(sort)}` : '');
  return [
    ...shaped.map(([label, sort, value]) => ({ label: `cursor: ${label}`, query: `cursor=${base64url(JSON.stringify(value))}${sortParam(sort)}` })),
    ...generic.map(([label, value]) => ({ label: `cursor: ${label}`, query: `cursor=${base64url(JSON.stringify(value))}` })),
    { label: 'cursor: not base64', query: 'cursor=%21%21%21' },
    { label: 'cursor: random bytes', query: `cursor=${Buffer.from(Array.from({ length: 24 }, () => Math.floor(random() * 256))).toString('base64url')}` },
  ];
}

/** Query cases that the kernel refuses before any handler runs (safe on mutating routes without a query schema). */
export function refusedQueryCases(): Array<{ label: string; query: string }> {
  return [
    { label: 'query: NUL', query: 'x=%00' },
    { label: 'query: malformed escape', query: 'x=%E0%A4%A' },
  ];
}

/** Compiles request schemas the way the services do (formats included), for checking that a case is really invalid. */
export function schemaChecker(): (schema: Schema, value: unknown) => boolean {
  const ajv = new Ajv({ allErrors: false, strict: false });
  addFormats(ajv);
  const cache = new Map<Schema, ValidateFunction>();
  return (schema, value) => {
    let fn = cache.get(schema);
    if (!fn) cache.set(schema, (fn = ajv.compile(schema)));
    return fn(value) as boolean;
  };
}

export function bodySchemaOf(op: OpenApiOperation): Schema | undefined {
  return (op.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)?.content?.['application/json']?.schema;
}

function fill(path: string, values: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? 'x');
}

/**
 * Every request for one operation (sent once per identity): malformed bodies, odd path values
 * and odd queries. For an admin operation or one named in `sensitive`, a body is kept only when
 * the schema or the kernel refuses it (checked with `valid` and `inspectJson`), so no case can
 * write anything; elsewhere a case may pass (unicode oddities are valid names) and does.
 */
export function operationCases(
  path: string,
  method: string,
  op: OpenApiOperation,
  random: () => number,
  valid: (schema: Schema, value: unknown) => boolean,
  sensitive: ReadonlySet<string>,
): FuzzCase[] {
  const key = `${method.toUpperCase()} ${path}`;
  const parameters: OpenApiParameter[] = op.parameters ?? [];
  const pathParams = parameters.filter((p) => p.in === 'path');
  const queryParams = parameters.filter((p) => p.in === 'query');
  const validValues = Object.fromEntries(pathParams.map((p) => [p.name, encodeURIComponent(validParam(p, random))]));
  const validPath = fill(path, validValues);
  const schema = bodySchemaOf(op);
  // Only what the schema refuses, where a case that passed would touch what other suites see.
  const keepInvalid = sensitive.has(key) || op['x-access'] === 'admin';
  const cases: FuzzCase[] = [];

  if (schema) {
    const refusedBySchemaOrKernel = (c: Omit<FuzzCase, 'path' | 'query'>): boolean => {
      if (c.body === undefined || c.body === '') return !valid(schema, {}); // no body: the route validates {}
      if (c.contentType !== 'application/json' || c.headers) return true; // 415 before any schema
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(c.body));
      } catch {
        return true; // not JSON at all: 400
      }
      return inspectJson(parsed).length > 0 || !valid(schema, parsed);
    };
    const bodies = bodyCases(schema, random).filter((c) => !keepInvalid || refusedBySchemaOrKernel(c));
    for (let i = 0; bodies.length < 30; i += 1) bodies.push({ label: `unknown property ${i}`, body: JSON.stringify({ ...(sample(schema, random) as object), [`zz${i}`]: i }), contentType: 'application/json' });
    cases.push(...bodies.map((c) => ({ ...c, path: validPath, query: '' })));
  } else if (MUTATING.has(method) && method !== 'delete') {
    cases.push({ label: 'a body on a route that takes none', path: validPath, query: '', body: '{"x":1}', contentType: 'application/json' });
  }

  // The body that goes with odd path parameters and queries: valid where that is harmless (so
  // the handler meets the odd value), else one the schema refuses (the kernel still checks the path).
  const refused = [{}, { zz_unknown: 1 }, []].find((candidate) => schema && !valid(schema, candidate));
  const companion = !schema ? undefined : JSON.stringify(keepInvalid ? refused ?? [] : sample(schema, random));
  const withCompanion = (c: Omit<FuzzCase, 'body' | 'contentType'>): FuzzCase => (companion === undefined ? c : { ...c, body: companion, contentType: 'application/json' });

  for (const param of pathParams) {
    for (const odd of oddPathValues(random)) {
      cases.push(withCompanion({ label: `path ${param.name}: ${odd.label}`, path: fill(path, { ...validValues, [param.name]: odd.encoded }), query: '' }));
    }
  }
  const queries = queryParams.length > 0 || method === 'get' ? queryCases(queryParams) : refusedQueryCases();
  if (queryParams.some((p) => p.name === 'cursor')) {
    const sorts = ((queryParams.find((p) => p.name === 'sort')?.schema as Schema | undefined)?.enum ?? []) as string[];
    queries.push(...forgedCursors(sorts, random));
  }
  for (const q of queries) cases.push(withCompanion({ label: `query ${q.label}`, path: validPath, query: q.query }));
  return cases;
}


import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { validationProblem, type ValidationIssue } from './problem';

export type { FromSchema, JSONSchema };

/**
 * One ajv for the process. Schemas are the single source of validation, TypeScript types
 * (`FromSchema<typeof schema>`) and the OpenAPI document. Unknown properties are refused by
 * the schemas themselves (`additionalProperties: false`), never silently dropped.
 */
export const ajv = new Ajv({ allErrors: true, strict: true, coerceTypes: false, useDefaults: true });
addFormats(ajv);

const compiled = new WeakMap<object, ValidateFunction>();

function compile(schema: JSONSchema): ValidateFunction {
  if (typeof schema === 'boolean') return ajv.compile(schema);
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

/** One JSON pointer reference token (RFC 6901): `~` and `/` escaped. */
export function pointerToken(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

function toIssue(where: string, error: ErrorObject): ValidationIssue {
  let pointer = `/${where}${error.instancePath}`;
  let detail = error.message ?? 'is invalid';
  if (error.keyword === 'additionalProperties') {
    pointer += `/${pointerToken(String(error.params.additionalProperty))}`;
    detail = 'is not a known property';
  } else if (error.keyword === 'required') {
    pointer += `/${pointerToken(String(error.params.missingProperty))}`;
    detail = 'is required';
  }
  return { pointer, detail };
}

/** A problem lists at most this many violations (a 1 MB array of wrong items is one answer, not a megabyte of them). */
export const MAX_REPORTED_ISSUES = 50;

/**
 * Validates `value` (one part of a request: body, query or params) and returns it typed,
 * or throws a 400 problem listing every violation with a JSON pointer.
 */
export function validate<const S extends JSONSchema>(schema: S, value: unknown, where: Where): FromSchema<S> {
  return validateUntyped(schema, value, where) as FromSchema<S>;
}

export type Where = 'body' | 'query' | 'params';

/** The same check without computing the schema's type (for generic code that has only JSONSchema). */
export function validateUntyped(schema: JSONSchema, value: unknown, where: Where): unknown {
  const issues = issuesOf(schema, value, where);
  if (issues.length > 0) throw validationProblem(issues);
  return value;
}

/** Every violation of `schema` by `value` (at most MAX_REPORTED_ISSUES), as JSON pointers into `where`; [] when valid. */
export function issuesOf(schema: JSONSchema, value: unknown, where: Where): ValidationIssue[] {
  const fn = compile(schema);
  return fn(value) ? [] : (fn.errors ?? []).slice(0, MAX_REPORTED_ISSUES).map((e) => toIssue(where, e));
}

/** How deep a request's JSON may nest (objects and arrays): our schemas use a few levels, Stripe's events under ten. */
export const MAX_JSON_DEPTH = 32;

/**
 * Text that cannot be stored as sent, refused in every JSON string and property name, query
 * value and path segment (the kernel checks; no schema or route has to remember):
 *
 * - NUL (U+0000): PostgreSQL text and jsonb cannot hold it (the insert fails), and C-string
 *   tools truncate at it.
 * - Lone UTF-16 surrogates (JSON allows `"\ud800"`): the driver would store U+FFFD instead, and
 *   jsonb refuses the escape outright.
 *
 * Every other control character (tab, newline, ESC, DEL, …) is accepted in JSON strings and
 * query values: it is valid Unicode, PostgreSQL and Elasticsearch store it as sent, and JSON
 * escapes it on the way out; fields where it makes no sense (SKUs, codes, currencies) have
 * patterns that refuse it. Path segments are identifiers: there, every C0 control and DEL is refused.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with a string that cannot be stored, or undefined. */
export function unstorable(text: string): string | undefined {
  const found = UNSTORABLE.exec(text);
  if (!found) return undefined;
  return found[0] === '\u0000' ? 'contains a NUL character (U+0000)' : 'contains an unpaired UTF-16 surrogate';
}

type Frame = { value: unknown; depth: number; parent?: Frame; key?: string | number };

function pointerOf(where: string, frame: Frame): string {
  const tokens: string[] = [];
  for (let f: Frame | undefined = frame; f?.parent; f = f.parent) tokens.push(pointerToken(f.key!));
  return `/${where}${tokens.reverse().map((t) => `/${t}`).join('')}`;
}

/**
 * Checks what no schema should have to say about parsed JSON: nesting deeper than
 * MAX_JSON_DEPTH and unstorable strings (above), in values and property names, at any depth.
 * Iterative, so 10,000 nested arrays cannot overflow the stack. Returns the violations.
 */
export function inspectJson(value: unknown, where: Where = 'body'): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const stack: Frame[] = [{ value, depth: 0 }];
  while (stack.length > 0 && issues.length < MAX_REPORTED_ISSUES) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (typeof v === 'string') {
      const wrong = unstorable(v);
      if (wrong) issues.push({ pointer: pointerOf(where, frame), detail: wrong });
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (frame.depth >= MAX_JSON_DEPTH) {
      issues.push({ pointer: pointerOf(where, frame), detail: `nests deeper than ${MAX_JSON_DEPTH} levels` });
      break;
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i -= 1) stack.push({ value: v[i], depth: frame.depth + 1, parent: frame, key: i });
    } else {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i -= 1) {
        const key = keys[i]!;
        const child: Frame = { value: (v as Record<string, unknown>)[key], depth: frame.depth + 1, parent: frame, key };
        const wrong = unstorable(key);
        if (wrong) issues.push({ pointer: pointerOf(where, child), detail: `property name ${wrong}` });
        stack.push(child);
      }
    }
  }
  return issues;
}

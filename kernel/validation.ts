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

function toIssue(where: string, error: ErrorObject): ValidationIssue {
  let pointer = `/${where}${error.instancePath}`;
  let detail = error.message ?? 'is invalid';
  if (error.keyword === 'additionalProperties') {
    pointer += `/${String(error.params.additionalProperty)}`;
    detail = 'is not a known property';
  } else if (error.keyword === 'required') {
    pointer += `/${String(error.params.missingProperty)}`;
    detail = 'is required';
  }
  return { pointer, detail };
}

/**
 * Validates `value` (one part of a request: body, query or params) and returns it typed,
 * or throws a 400 problem listing every violation with a JSON pointer.
 */
export function validate<const S extends JSONSchema>(schema: S, value: unknown, where: Where): FromSchema<S> {
  return validateUntyped(schema, value, where) as FromSchema<S>;
}

type Where = 'body' | 'query' | 'params';

/** The same check without computing the schema's type (for generic code that has only JSONSchema). */
export function validateUntyped(schema: JSONSchema, value: unknown, where: Where): unknown {
  const fn = compile(schema);
  if (!fn(value)) throw validationProblem((fn.errors ?? []).map((e) => toIssue(where, e)));
  return value;
}

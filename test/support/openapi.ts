import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { OpenApiDocument, OpenApiOperation } from '../../kernel/http/openapi';

export interface ValidationResult {
  valid: boolean;
  /** The OpenAPI version the validator judged the document by, e.g. `3.1`. */
  version: string;
  errors?: unknown;
}

/** Validates documents against the official OpenAPI schemas (one child process for all of them). */
export function validateOpenApi(documents: unknown[]): ValidationResult[] {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'validate-openapi.mjs')], {
    input: JSON.stringify(documents),
    cwd: path.join(__dirname, '..', '..'),
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(out) as ValidationResult[];
}

/** Every operation of a document as `METHOD /path`, sorted. */
export function operationsOf(document: OpenApiDocument): string[] {
  return Object.entries(document.paths)
    .flatMap(([p, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${p}`))
    .sort();
}

export function operation(document: OpenApiDocument, method: string, p: string): OpenApiOperation {
  const found = document.paths[p]?.[method.toLowerCase() as 'get'];
  if (!found) throw new Error(`no ${method} ${p} in the document`);
  return found;
}

/**
 * Checks the schemas cannot: operationIds are unique, and every `{param}` of a path is
 * declared as a required path parameter of each of its operations.
 */
export function semanticProblems(document: OpenApiDocument): string[] {
  const problems: string[] = [];
  const ids = new Map<string, string>();
  for (const [p, item] of Object.entries(document.paths)) {
    const templated = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    for (const [method, op] of Object.entries(item) as Array<[string, OpenApiOperation]>) {
      const where = `${method.toUpperCase()} ${p}`;
      const previous = ids.get(op.operationId);
      if (previous) problems.push(`${where}: operationId ${op.operationId} is also used by ${previous}`);
      ids.set(op.operationId, where);
      for (const name of templated) {
        if (!op.parameters?.some((q) => q.in === 'path' && q.name === name && q.required)) problems.push(`${where}: path parameter ${name} is not declared`);
      }
    }
  }
  return problems;
}

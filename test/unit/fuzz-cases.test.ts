/**
 * The fuzz suite's case generator (test/security/fuzz-cases.ts): deterministic for a seed, at
 * least 30 malformed bodies for every request schema, and, where a passing case would write
 * something other suites see, only cases that the schema or the kernel refuses.
 */
import { bodyCases, operationCases, oddPathValues, schemaChecker, seeded } from '../security/fuzz-cases';
import type { OpenApiOperation } from '../../kernel/http/openapi';
import { inspectJson } from '../../kernel/validation';
import { createOrderBody, cancelBody } from '../../apps/order/src/http/schemas';
import { createPromotionBody } from '../../apps/promotions/src/http/schemas';
import { loginBody } from '../../apps/user/src/http/schemas';

const operation = (schema: object, access: 'public' | 'customer' | 'admin', parameters: OpenApiOperation['parameters'] = []): OpenApiOperation => ({
  operationId: 'x', summary: 'x', responses: {}, security: [], 'x-access': access, parameters,
  requestBody: { required: true, content: { 'application/json': { schema } } },
});

describe('fuzz cases', () => {
  test('the same seed gives the same cases; another seed other ones', () => {
    const a = bodyCases(createOrderBody, seeded(7)).map((c) => [c.label, String(c.body)]);
    expect(bodyCases(createOrderBody, seeded(7)).map((c) => [c.label, String(c.body)])).toEqual(a);
    expect(bodyCases(createOrderBody, seeded(8)).map((c) => [c.label, String(c.body)])).not.toEqual(a);
  });

  test('at least 30 bodies for every schema, even a one-property one', () => {
    for (const schema of [createOrderBody, cancelBody, createPromotionBody, loginBody, { type: 'object' }]) {
      expect(bodyCases(schema, seeded(1)).length).toBeGreaterThanOrEqual(30);
    }
  });

  test('admin and sensitive operations get only refused bodies, and still at least 30', () => {
    const valid = schemaChecker();
    for (const [path, schema, access, sensitive] of [
      ['/promotions', createPromotionBody, 'admin', false],
      ['/auth/login', loginBody, 'public', true],
    ] as const) {
      const cases = operationCases(path, 'post', operation(schema, access), seeded(3), valid, new Set(sensitive ? [`POST ${path}`] : []));
      const bodies = cases.filter((c) => !c.label.startsWith('path ') && !c.label.startsWith('query '));
      expect(bodies.length).toBeGreaterThanOrEqual(30);
      for (const c of bodies) {
        if (c.contentType !== 'application/json' || c.headers || !c.body) continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(String(c.body));
        } catch {
          continue;
        }
        expect({ label: c.label, refused: inspectJson(parsed).length > 0 || !valid(schema, parsed) }).toEqual({ label: c.label, refused: true });
      }
    }
  });

  test('odd path values are encoded, and none of them is a dot-segment, a slash, a backslash or a semicolon', () => {
    for (const { encoded } of oddPathValues(seeded(1))) {
      expect(encoded).not.toMatch(/^\.\.?$|\/|\\|;|%2F|%5C|%3B|%2E%2E/i);
      expect(encoded).not.toMatch(/[\s\u0000-\u001f]/);
    }
  });
});

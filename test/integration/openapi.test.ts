/**
 * The public API document served by the running gateway: valid OpenAPI 3.1, and every public
 * route of every service (as each service describes itself through Dapr) is in it.
 */
import type { OpenApiDocument } from '../../kernel/http/openapi';
import { appFor, ROUTES } from '../../apps/gateway/src/domain/routing';
import { operationsOf, semanticProblems, validateOpenApi } from '../support/openapi';
import { api } from '../support/gateway';

test('the gateway serves one valid OpenAPI 3.1 document covering every public route', async () => {
  const gateway = await api<OpenApiDocument>('GET', '/openapi.json');
  expect(gateway.status).toBe(200);
  const [result] = validateOpenApi([gateway.body]);
  // The validator's errors in the failure message (they say which path and keyword).
  expect(result?.valid ? 'valid' : JSON.stringify(result?.errors).slice(0, 2000)).toBe('valid');
  expect(result).toMatchObject({ valid: true, version: '3.1' });
  expect(semanticProblems(gateway.body)).toEqual([]);

  const published = new Set(operationsOf(gateway.body));
  const apps = [...new Set(ROUTES.map((r) => r.appId))];
  let counted = 0;
  for (const appId of apps) {
    // Each service's own document, fetched through the gateway's sidecar (Dapr invocation).
    const own = await api<OpenApiDocument>('GET', `/v1.0/invoke/${appId}/method/openapi.json`, { base: 'http://127.0.0.1:3500' });
    expect(own.status).toBe(200);
    for (const op of operationsOf(own.body)) {
      const path = op.split(' ')[1]!;
      if (appFor(path.replace(/\{[^}]+\}/g, 'x')) !== appId) continue; // not routed to this app by the gateway
      expect(published.has(op) ? op : `missing: ${op} (${appId})`).toBe(op);
      counted += 1;
    }
  }
  expect(counted).toBe(published.size);
});

// Validates OpenAPI documents with @seriousme/openapi-schema-validator, which is ESM-only and
// so cannot be loaded by ts-jest's CommonJS runtime: test/support/openapi.ts runs this file in
// a plain Node process. Reads a JSON array of documents on stdin, writes one result per document.
import { Validator } from '@seriousme/openapi-schema-validator';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const document of JSON.parse(input)) {
  const validator = new Validator();
  const result = await validator.validate(document);
  results.push({ valid: result.valid, version: validator.version, errors: result.errors });
}
process.stdout.write(JSON.stringify(results));

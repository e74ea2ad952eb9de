/**
 * The direction of dependencies, checked on the source: actors and workflows receive what they
 * need from the hosting app through their own ports (actors/<x>/ports.ts,
 * workflows/checkout/ports.ts), so nothing under actors/ or workflows/ imports from apps/ (apps
 * may import them). And domain/ is pure rules: no driver, client or I/O module at run time
 * (`import type` is erased by the compiler and allowed: search's domain builds Elasticsearch
 * query bodies typed by the client's `estypes`; recovery takes a pool handed in by main.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const at = join(dir, name);
    if (statSync(at).isDirectory()) return name === 'node_modules' ? [] : sources(at);
    return /\.(ts|js|mjs|cjs)$/.test(name) && !name.endsWith('.d.ts') ? [at] : [];
  });
}

/** Every module specifier of a file (import/export … from, side-effect imports, import(), require()), `import type` ones apart. */
function specifiers(file: string): Array<{ module: string; typeOnly: boolean }> {
  const text = readFileSync(file, 'utf8');
  const found: Array<{ module: string; typeOnly: boolean }> = [];
  for (const m of text.matchAll(/\b(?:import|export)\s+(type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g)) found.push({ module: m[2]!, typeOnly: !!m[1] });
  for (const re of [/\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g]) {
    for (const m of text.matchAll(re)) found.push({ module: m[1]!, typeOnly: false });
  }
  return found;
}

const rel = (file: string) => relative(ROOT, file).split(sep).join('/');

test('nothing under actors/ or workflows/ imports from apps/', () => {
  const offending = ['actors', 'workflows'].flatMap((top) =>
    sources(join(ROOT, top)).flatMap((file) =>
      specifiers(file)
        .filter(({ module }) => module.startsWith('.') && rel(resolve(dirname(file), module)).startsWith('apps/'))
        .map(({ module }) => `${rel(file)} imports ${module}`),
    ),
  );
  expect(offending).toEqual([]);
});

const IO_MODULES = ['pg', 'ioredis', 'undici', '@dapr/dapr', '@elastic/elasticsearch', 'stripe', 'fs', 'net', 'http', 'https'];
const isIo = (s: string) => {
  const name = s.replace(/^node:/, '');
  return IO_MODULES.some((m) => name === m || name.startsWith(`${m}/`));
};

test('nothing under apps/*/src/domain/ imports a driver, a client or node I/O (at run time)', () => {
  const apps = readdirSync(join(ROOT, 'apps')).filter((a) => statSync(join(ROOT, 'apps', a, 'src', 'domain'), { throwIfNoEntry: false })?.isDirectory());
  expect(apps.length).toBeGreaterThan(0);
  const offending = apps.flatMap((app) =>
    sources(join(ROOT, 'apps', app, 'src', 'domain')).flatMap((file) => specifiers(file)
      .filter(({ module, typeOnly }) => !typeOnly && isIo(module))
      .map(({ module }) => `${rel(file)} imports ${module}`)),
  );
  expect(offending).toEqual([]);
});

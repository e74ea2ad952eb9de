/**
 * The README's first examples ("After `npm run up`"), run as written against the running stack
 * after `npm run seed` (which they name): every curl must get a 2xx. The block is read from the
 * README itself, so an example that stops working fails here.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../support/processes';

const run = promisify(execFile);

function blockAfter(marker: string): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README has no "${marker}"`);
  const match = /```bash\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!match) throw new Error(`no bash block after "${marker}"`);
  return match[1]!;
}

test('the examples after `npm run up` all answer 2xx (after npm run seed)', async () => {
  await run(process.execPath, [path.join(ROOT, 'dist', 'scripts', 'seed.js')], { cwd: ROOT, env: process.env, timeout: 300_000 });
  const block = blockAfter('After `npm run up`:');
  expect(block.split('\n').filter((l) => l.trim().startsWith('curl') || l.includes('$(curl')).length).toBeGreaterThanOrEqual(8);
  // Every curl fails on an HTTP error (-f) and says which; the block stops at the first.
  const script = `set -euo pipefail\ncurl() { command curl -sS -f -o /dev/null --max-time 30 "$@" || { echo "failed: curl $*" >&2; return 1; }; }\n` +
    // The cart line reads the answer's body: it keeps curl's own output.
    block.replace(/\$\(curl /g, '$(command curl -sS -f --max-time 30 ');
  const { stderr } = await run('bash', ['-c', script], { cwd: ROOT, env: process.env, timeout: 120_000 }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`README example failed: ${err.stderr ?? err.message}`);
  });
  expect(stderr).toBe('');
});

import path from 'node:path';
import { canonicalTarget, MAX_PATH_BYTES, MAX_TARGET_BYTES } from '../src/domain/canonical-path';

/** What each hop would make of a path: the WHATWG parser undici uses, and daprd's decode + path.Clean. */
function whatwgPathname(p: string): string {
  return new URL(p, 'http://sidecar').pathname;
}
function cleanedDecoded(p: string): string {
  return path.posix.normalize(decodeURIComponent(p));
}

/** `..` in every spelling someone has used to get past a path check. */
const DOUBLE_DOTS = [
  '..', '%2e%2e', '%2E%2E', '%2e%2E', '.%2e', '%2e.', '.%2E', '%2E.',
  '%c0%ae%c0%ae', '%C0%AE%C0%AE', '.%c0%ae', '%c0%ae.', '%c0%2e%c0%2e', '%e0%80%ae%e0%80%ae', '%f0%80%80%ae%f0%80%80%ae', '%c1%8e%c1%8e',
  '%252e%252e', '%25%32%65%25%32%65', '%%32%65%%32%65', '%u002e%u002e', '.%u002e',
  '..;', '..%3b', '..%3B', '%2e%2e;', '..;jsessionid=x', '.;.', '..%00', '%2e%2e%00', '..%01', '..%09', '..%0a', '..%0d%0a', '..%7f',
  '..%c2%85', '..%20', '...', '....',
];
const SINGLE_DOTS = ['.', '%2e', '%2E', '%c0%ae', '.;', '.%00'];
/** `/` and `\` in every spelling. */
const SLASHES = ['%2f', '%2F', '\\', '%5c', '%5C', '%c0%af', '%e0%80%af', '%c1%9c', '%c0%5c', '%25%32%66', '%252f', '//', '/;/', '/%3b/', '/./', '/%2e/'];

const TARGETS = [
  'v1.0/metadata', 'v1.0/secrets/envsecrets/PG_DAPR_URL', 'v1.0/publish/pubsub/x', 'v1.0/shutdown',
  'dapr/subscribe', 'dapr/config', 'actors/CartActor/x/method/get', 'internal/products/export', 'healthz',
];

describe('canonical request targets', () => {
  test.each([
    ['/', '/', ''],
    ['/products', '/products', ''],
    ['/products/4c7c3f6e-0b1a-4d2a-9a3e-2f1f1f1f1f1f', '/products/4c7c3f6e-0b1a-4d2a-9a3e-2f1f1f1f1f1f', ''],
    ['/products?limit=5&cursor=abc%3D%3D&sort=price_asc', '/products', 'limit=5&cursor=abc%3D%3D&sort=price_asc'],
    ['/search?q=..%2F..%2Fv1.0%2Fmetadata', '/search', 'q=..%2F..%2Fv1.0%2Fmetadata'],
    ['/search?q=caf%C3%A9+au+lait&q2=a/b?c', '/search', 'q=caf%C3%A9+au+lait&q2=a/b?c'],
    ['/products?', '/products', ''],
    ['/inventory/SKU%20X', '/inventory/SKU%20X', ''],
    ['/inventory/caf%C3%A9', '/inventory/caf%C3%A9', ''],
    ['/inventory/caf%c3%a9', '/inventory/caf%c3%a9', ''],
    ['/inventory/%E2%82%AC-%F0%9F%98%80', '/inventory/%E2%82%AC-%F0%9F%98%80', ''],
    ['/inventory/%EF%BC%8E%EF%BC%8E', '/inventory/%EF%BC%8E%EF%BC%8E', ''], // fullwidth dots: not dots to anyone on the way
    ['/auth/.well-known/jwks.json', '/auth/.well-known/jwks.json', ''],
    ['/inventory/A.B_c-d~e', '/inventory/A.B_c-d~e', ''],
    ["/x/!$&'()*+,=:@", "/x/!$&'()*+,=:@", ''],
    ['/x/%21%24%26%27%28%29%2A%2B%2C%3D%3A%40%20%22%3C%3E%5B%5D%5E%60%7B%7C%7D', '/x/%21%24%26%27%28%29%2A%2B%2C%3D%3A%40%20%22%3C%3E%5B%5D%5E%60%7B%7C%7D', ''],
    ['/products/..x', '/products/..x', ''],
    ['/products/x..', '/products/x..', ''],
    ['/products/.x', '/products/.x', ''],
  ])('accepts %s', (raw, p, query) => {
    expect(canonicalTarget(raw)).toEqual({ ok: true, path: p, query });
    // And every hop reads it as written: no hop resolves, splits or re-decodes anything.
    expect(whatwgPathname(p)).toBe(p);
    expect(cleanedDecoded(p)).toBe(decodeURIComponent(p));
  });

  const refused = (raw: string) => {
    const verdict = canonicalTarget(raw);
    return verdict.ok ? `accepted: ${raw}` : verdict.status;
  };

  test.each(DOUBLE_DOTS.flatMap((dots) => TARGETS.map((target) => `/products/${dots}/${target}`)))('refuses %s', (raw) => {
    expect(refused(raw)).toBe(400);
  });

  test.each([
    ...DOUBLE_DOTS.flatMap((dots) => [`/${dots}/v1.0/metadata`, `/products/${dots}`, `/products/${dots}/`, `/products/x/${dots}/${dots}/v1.0/metadata`, `/${dots}`]),
    ...SINGLE_DOTS.flatMap((dot) => [`/products/${dot}/x`, `/products/${dot}`, `/${dot}/products`]),
    ...SLASHES.flatMap((slash) => [`/products${slash}..${slash}v1.0${slash}metadata`, `/products/x${slash}internal`, `/cart${slash}`]),
  ])('refuses %s', (raw) => {
    expect(refused(raw)).toBe(400);
  });

  test.each([
    // not origin-form
    '', '*', 'products', 'http://localhost:8000/products', 'HTTP://localhost/products/../v1.0/metadata', '//localhost/v1.0/metadata', '\\products', '%2fproducts',
    // empty segments
    '//products', '/products//x', '/products/', '/products//', '/products/?x=1',
    // path parameters
    '/products;x=1', '/products/x;', '/products/%3bx', '/products/%3B',
    // raw characters that must be encoded
    '/products/a b', '/products/a\tb', '/products/a\0b', '/products/a\nb', '/products/a\rb', '/products/a\x7fb', '/products/caf\u00e9', '/products/\u2025',
    '/products/"x"', '/products/<x>', '/products/x{y}', '/products/x|y', '/products/x^y', '/products/x`y', '/products/[x]',
    // fragments
    '/products#x', '/products/x#/../../v1.0/metadata', '/products?x=1#y', '/products%23x',
    // encoded controls, NUL, C1
    '/products/%00', '/products/x%00.json', '/products/%0a', '/products/%0D', '/products/%09', '/products/%1f', '/products/%7F', '/products/%c2%80', '/products/%C2%9F', '/products/%c2%85',
    // encoded characters that would be read again downstream
    '/products/%25', '/products/%2541', '/products/%3f', '/products/%3Fx=1', '/products/%23',
    // needlessly encoded unreserved characters (one spelling each)
    '/%70roducts', '/products/%41', '/products/%7e', '/products/%2D', '/products/%5f', '/%69nternal/products/export', '/products/x%2ejson',
    // malformed escapes
    '/products/%', '/products/%2', '/products/%zz', '/products/%g0', '/products/%%', '/products/%2?x', '/products/%u002e', '/products/%%32%65',
    // invalid UTF-8
    '/products/%c3', '/products/%c3%28', '/products/%c3/%a9', '/products/%a9', '/products/%80', '/products/%bf', '/products/%c0%80', '/products/%c1%bf',
    '/products/%e0%80%80', '/products/%e0%9f%bf', '/products/%ed%a0%80', '/products/%ed%bf%bf', '/products/%f0%80%80%80', '/products/%f0%8f%bf%bf',
    '/products/%f4%90%80%80', '/products/%f5%80%80%80', '/products/%f8%88%80%80%80', '/products/%fc%84%80%80%80%80', '/products/%fe', '/products/%ff',
    '/products/%e2%82', '/products/%e2%82x', '/products/%f0%9f%98',
  ])('refuses %j', (raw) => {
    expect(refused(raw)).toBe(400);
  });

  test('refuses over-long targets with 414', () => {
    const exactly = `/search/${'a'.repeat(MAX_PATH_BYTES - '/search/'.length)}`;
    expect(canonicalTarget(exactly)).toMatchObject({ ok: true });
    expect(refused(`${exactly}a`)).toBe(414);
    expect(refused(`/search?q=${'a'.repeat(MAX_TARGET_BYTES)}`)).toBe(414);
    expect(canonicalTarget(`/search?q=${'a'.repeat(4000)}`)).toMatchObject({ ok: true });
  });

  test('never repeats the path in its reason', () => {
    for (const raw of ['/products/%2e%2e/v1.0/secrets/envsecrets/PG_DAPR_URL', '/products/..;/v1.0/metadata', `/x${'/PG_DAPR_URL'.repeat(300)}`]) {
      const verdict = canonicalTarget(raw);
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) expect(verdict.reason).not.toMatch(/PG_DAPR_URL|metadata/);
    }
  });

  test('whatever it accepts, every hop reads as written (randomised corpus)', () => {
    const pieces = ['/', 'a', 'Z', '9', '.', '..', '-', '_', '~', '%2e', '%2E', '%2f', '%5c', '\\', ';', '%3b', '%00', '%20', '%25', '%c3%a9', '%c0%ae', '%e2%82%ac', '%', '%c3', '?', '#', '&', '=', ':', '@', '+', '!', 'v1.0', 'metadata'];
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let accepted = 0;
    for (let n = 0; n < 20_000; n += 1) {
      const length = 1 + Math.floor(random() * 8);
      let raw = '/';
      for (let k = 0; k < length; k += 1) raw += pieces[Math.floor(random() * pieces.length)];
      const verdict = canonicalTarget(raw);
      if (!verdict.ok) continue;
      accepted += 1;
      const p = verdict.path;
      expect({ raw, whatwg: whatwgPathname(p) }).toEqual({ raw, whatwg: p });
      const decoded = decodeURIComponent(p);
      expect({ raw, cleaned: path.posix.normalize(decoded) }).toEqual({ raw, cleaned: decoded });
      expect({ raw, segments: decoded.split('/').length }).toEqual({ raw, segments: p.split('/').length });
      expect(decoded).not.toMatch(/[\x00-\x1f\x7f\\;%?#]/);
      expect(p.split('/').slice(1).every((s) => s !== '' && !/^\.+$/.test(s)) || p === '/').toBe(true);
    }
    expect(accepted).toBeGreaterThan(1000);
  });
});

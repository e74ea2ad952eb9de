import { MicroCache } from '../../../kernel/cache/micro-cache';
import { ttlFor } from '../src/domain/cache-control';

describe('edge micro-cache', () => {
  test('keeps public answers no longer than their max-age and the cap', () => {
    expect(ttlFor('public, max-age=1', 500)).toBe(500);
    expect(ttlFor('public, max-age=1', 5000)).toBe(1000);
    expect(ttlFor('public, s-maxage=2, max-age=60', 5000)).toBe(2000);
    expect(ttlFor('private, max-age=60', 500)).toBe(0);
    expect(ttlFor('public, no-store', 500)).toBe(0);
    expect(ttlFor('max-age=60', 500)).toBe(0);
    expect(ttlFor('public, max-age=0', 500)).toBe(0);
    expect(ttlFor(undefined, 500)).toBe(0);
    expect(ttlFor('public, max-age=1', 0)).toBe(0);
  });

  test('entries expire, and the oldest go first beyond the size limit', () => {
    let now = 1000;
    const cache = new MicroCache<{ body: Buffer }>(2, () => now);
    const entry = { body: Buffer.from('x') };
    cache.set('a', entry, 100);
    cache.set('b', entry, 100);
    cache.set('c', entry, 100);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')?.value.body.toString()).toBe('x');
    now += 100;
    expect(cache.get('b')).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  test('concurrent misses for one key run one fill', async () => {
    const cache = new MicroCache<null>(10);
    let fills = 0;
    const fill = async () => {
      fills += 1;
      await new Promise((r) => setTimeout(r, 20));
      cache.set('k', null, 1000);
    };
    const filledHere = await Promise.all(Array.from({ length: 10 }, () => cache.once('k', fill)));
    expect(fills).toBe(1);
    expect(filledHere.filter(Boolean)).toHaveLength(1);
  });
});

import { ajv } from '../../../kernel/validation';
import { imagesToFields } from '../src/domain/product';
import { createProductBody, MAX_IMAGES, patchProductBody } from '../src/http/schemas';

const isCreate = ajv.compile(createProductBody);
const isPatch = ajv.compile(patchProductBody);
const body = (images: unknown) => ({ sku: 'LAMP-1', name: 'Lamp', base_price: '10.00', images });
const img = (overrides: Record<string, unknown> = {}) => ({ url: 'https://cdn.example.com/lamp.jpg', alt: 'A brass lamp', ...overrides });

describe('product images in the schema', () => {
  test('https URLs with alt text, up to 10, with optional positions', () => {
    expect(isCreate(body([img(), img({ position: 0 })]))).toBe(true);
    expect(isCreate(body(Array.from({ length: MAX_IMAGES }, () => img())))).toBe(true);
    expect(isPatch({ images: [] })).toBe(true);
  });

  test.each([
    ['an http URL', [img({ url: 'http://cdn.example.com/lamp.jpg' })]],
    ['a javascript: URL', [img({ url: 'javascript:alert(1)' })]],
    ['a data: URL', [img({ url: 'data:image/png;base64,AAAA' })]],
    ['a URL without a host', [img({ url: 'https:///lamp.jpg' })]],
    ['a URL with spaces', [img({ url: 'https://cdn.example.com/a lamp.jpg' })]],
    ['a URL over 2048 characters', [img({ url: `https://cdn.example.com/${'a'.repeat(2030)}` })]],
    ['no alt', [{ url: 'https://cdn.example.com/lamp.jpg' }]],
    ['an empty alt', [img({ alt: '' })]],
    ['an alt over 300 characters', [img({ alt: 'a'.repeat(301) })]],
    ['11 images', Array.from({ length: MAX_IMAGES + 1 }, () => img())],
    ['a negative position', [img({ position: -1 })]],
    ['an unknown field', [img({ title: 'x' })]],
    ['not a list', img()],
  ])('%s is refused', (_case, images) => {
    expect(isCreate(body(images))).toBe(false);
    expect(isPatch({ images })).toBe(false);
  });
});

describe('image order', () => {
  test('by position, then as given; a missing position is the index', () => {
    const a = { url: 'https://x.example/a', alt: 'a' };
    const b = { url: 'https://x.example/b', alt: 'b', position: 0 };
    const c = { url: 'https://x.example/c', alt: 'c' };
    expect(imagesToFields([a, b, c])).toEqual([
      { ...a, position: 0 },
      { ...b, position: 0 },
      { ...c, position: 2 },
    ]);
    expect(imagesToFields([{ ...a, position: 5 }, c])).toEqual([{ ...c, position: 1 }, { ...a, position: 5 }]);
  });
});

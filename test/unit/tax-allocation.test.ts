/**
 * The money arithmetic of tax, exhaustively over small values and by seeded random over large
 * ones: half-even division against a rational reference, largest-remainder allocation (shares
 * always add up, each within one unit of its exact proportion), and an order's tax (the
 * discount's shares add up to the discount, the lines' and shipping's tax to the order's, the
 * total to goods − discount + shipping (+ tax when prices exclude it)).
 */
import { allocate, divideHalfEven } from '../../kernel/domain/allocation';
import { computeTax, taxOf, type TaxBasis } from '../../workflows/checkout/tax';
import { seeded } from '../security/fuzz-cases';

/** The reference: round(n/d) half-even by comparing 2·remainder with d, written independently with floor division. */
function referenceHalfEven(n: number, d: number): number {
  const q = Math.floor(n / d);
  const twice = 2 * (n - q * d);
  if (twice < d) return q;
  if (twice > d) return q + 1;
  return q % 2 === 0 ? q : q + 1;
}

describe('divideHalfEven', () => {
  test('every n in -300..300 and d in 1..40 against the reference', () => {
    const wrong: number[][] = [];
    for (let d = 1; d <= 40; d += 1) for (let n = -300; n <= 300; n += 1) {
      const expected = n < 0 ? -referenceHalfEven(-n, d) || 0 : referenceHalfEven(n, d);
      const got = Number(divideHalfEven(BigInt(n), BigInt(d)));
      if (got !== expected) wrong.push([n, d, got, expected]);
    }
    expect(wrong).toEqual([]);
  });

  test('ties go to the even neighbour', () => {
    expect([5n, 15n, 25n, 35n].map((n) => divideHalfEven(n, 10n))).toEqual([0n, 2n, 2n, 4n]);
    expect(divideHalfEven(-25n, 10n)).toBe(-2n);
  });

  test('a divisor that is not positive is refused', () => {
    expect(() => divideHalfEven(1n, 0n)).toThrow(RangeError);
  });
});

describe('allocate (largest remainder)', () => {
  /** Why an allocation is wrong (undefined: right): the sum, or a share outside floor/ceil of its exact proportion (compared in BigInt). */
  const fault = (total: number, weights: number[]): string | undefined => {
    const shares = allocate(total, weights);
    if (shares.reduce((a, b) => a + BigInt(b), 0n) !== BigInt(total)) return `sum ${shares} ≠ ${total}`;
    const sum = weights.reduce((a, b) => a + BigInt(b), 0n);
    const w = sum === 0n ? weights.map(() => 1n) : weights.map(BigInt);
    const d = sum === 0n ? BigInt(weights.length) : sum;
    for (const [i, share] of shares.entries()) {
      const n = BigInt(total) * w[i]!;
      const floor = n / d;
      const ceil = n % d === 0n ? floor : floor + 1n;
      if (!Number.isSafeInteger(share) || BigInt(share) < floor || BigInt(share) > ceil) return `share ${i} of ${total} over ${weights}: ${share}`;
    }
    return undefined;
  };
  const check = (cases: Array<[number, number[]]>) => expect(cases.map(([t, w]) => fault(t, w)).filter(Boolean)).toEqual([]);

  test('every total 0..60 over every pair and triple of weights 0..6', () => {
    const cases: Array<[number, number[]]> = [];
    for (let total = 0; total <= 60; total += 1) {
      for (let a = 0; a <= 6; a += 1) for (let b = 0; b <= 6; b += 1) {
        cases.push([total, [a, b]]);
        for (let c = 0; c <= 6; c += 1) cases.push([total, [a, b, c]]);
      }
    }
    check(cases);
  });

  test('large amounts and many lines (seeded): exact sums, no float error', () => {
    const random = seeded(13);
    const cases: Array<[number, number[]]> = [[Number.MAX_SAFE_INTEGER, [Number.MAX_SAFE_INTEGER, 1, 3]]];
    for (let run = 0; run < 2000; run += 1) {
      const n = 1 + Math.floor(random() * 50);
      const weights = Array.from({ length: n }, () => Math.floor(random() * 10 ** (1 + Math.floor(random() * 12))));
      const sum = weights.reduce((a, b) => a + b, 0);
      cases.push([Math.floor(random() * Math.min(sum + 1, Number.MAX_SAFE_INTEGER)), weights]);
    }
    check(cases);
  });

  test('leftover units go to the largest remainders, ties to the earlier line', () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocate(10, [3, 3, 4])).toEqual([3, 3, 4]);
    expect(allocate(1, [1, 2])).toEqual([0, 1]);
    expect(allocate(5, [0, 0])).toEqual([3, 2]);
    expect(allocate(0, [])).toEqual([]);
  });

  test('refuses what it cannot split', () => {
    expect(() => allocate(-1, [1])).toThrow(RangeError);
    expect(() => allocate(1.5, [1])).toThrow(RangeError);
    expect(() => allocate(1, [])).toThrow(RangeError);
    expect(() => allocate(1, [-1, 2])).toThrow(RangeError);
  });
});

describe('taxOf', () => {
  test('inclusive: the tax inside a gross price, exclusive: the tax on a net one', () => {
    expect(taxOf(1190, 1900, true)).toBe(190);
    expect(taxOf(1000, 1900, false)).toBe(190);
    expect(taxOf(999, 1900, true)).toBe(160); // 159.5 → 160 (even)
    expect(taxOf(1001, 1900, true)).toBe(160); // 159.82
    expect(taxOf(50, 1000, false)).toBe(5);
    expect(taxOf(25, 2000, false)).toBe(5);
    expect(taxOf(5, 1000, false)).toBe(0); // 0.5 → 0 (even)
    expect(taxOf(15, 1000, false)).toBe(2); // 1.5 → 2 (even)
    expect(taxOf(0, 1900, true)).toBe(0);
    expect(taxOf(1234, 0, false)).toBe(0);
  });

  test('exact for every amount 0..5000 at 19 %, 7 % and 20 %, both ways', () => {
    const wrong: unknown[] = [];
    for (const rate of [1900, 700, 2000]) for (let a = 0; a <= 5000; a += 1) {
      if (taxOf(a, rate, false) !== referenceHalfEven(a * rate, 10_000)) wrong.push(['exclusive', a, rate]);
      if (taxOf(a, rate, true) !== referenceHalfEven(a * rate, 10_000 + rate)) wrong.push(['inclusive', a, rate]);
    }
    expect(wrong).toEqual([]);
  });
});

describe('computeTax', () => {
  const basis = (inclusive: boolean, lines: Array<[number, number]>, shippingRate = 1900): TaxBasis => ({
    prices_include_tax: inclusive, shipping_rate_bp: shippingRate, lines: lines.map(([line_total_minor, rate_bp]) => ({ line_total_minor, rate_bp })),
  });

  test('EUR inclusive at 19 %: two lines, a discount spread in proportion, shipping taxed', () => {
    const t = computeTax(basis(true, [[2380, 1900], [1190, 700]]), 357, 595);
    expect(t.lines.map((l) => l.discount_minor)).toEqual([238, 119]);
    expect(t.lines.map((l) => l.taxable_minor)).toEqual([2142, 1071]);
    expect(t.lines.map((l) => l.tax_minor)).toEqual([342, 70]); // 2142·19/119 = 342, 1071·7/107 = 70.07
    expect(t.shipping_tax_minor).toBe(95); // 595·19/119
    expect(t.tax_minor).toBe(342 + 70 + 95);
    expect(t.total_minor).toBe(2380 + 1190 - 357 + 595);
  });

  test('USD exclusive: the tax is added to the total', () => {
    const t = computeTax(basis(false, [[1000, 825], [333, 825]], 825), 0, 500);
    expect(t.lines.map((l) => l.tax_minor)).toEqual([82, 27]); // 82.5 → 82 (even), 27.47
    expect(t.shipping_tax_minor).toBe(41); // 41.25
    expect(t.total_minor).toBe(1333 + 500 + 82 + 27 + 41);
  });

  test('no rates: no tax, totals as before tax existed', () => {
    const t = computeTax(basis(false, [[1000, 0]], 0), 100, 300);
    expect(t).toMatchObject({ tax_minor: 0, shipping_tax_minor: 0, total_minor: 1200 });
  });

  test('a discount above the goods is clamped (never a negative line)', () => {
    const t = computeTax(basis(true, [[100, 1900]]), 500, 0);
    expect(t.lines[0]).toEqual({ discount_minor: 100, taxable_minor: 0, tax_minor: 0 });
    expect(t.total_minor).toBe(0);
  });

  test('seeded random orders: every sum is exact, both ways', () => {
    const random = seeded(2024);
    const rates = [0, 500, 700, 1000, 1900, 2000, 2500];
    const faults: unknown[] = [];
    for (let run = 0; run < 3000; run += 1) {
      const n = 1 + Math.floor(random() * 8);
      const lines: Array<[number, number]> = Array.from({ length: n }, () => [Math.floor(random() * 500_000), rates[Math.floor(random() * rates.length)]!]);
      const subtotal = lines.reduce((s, [a]) => s + a, 0);
      const discount = Math.floor(random() * (subtotal + 1));
      const shipping = Math.floor(random() * 5000);
      const inclusive = random() < 0.5;
      const t = computeTax(basis(inclusive, lines, rates[Math.floor(random() * rates.length)]!), discount, shipping);
      const ok =
        t.lines.reduce((s, l) => s + l.discount_minor, 0) === discount &&
        t.lines.reduce((s, l) => s + l.taxable_minor, 0) === subtotal - discount &&
        t.lines.reduce((s, l) => s + l.tax_minor, 0) + t.shipping_tax_minor === t.tax_minor &&
        t.total_minor === subtotal - discount + shipping + (inclusive ? 0 : t.tax_minor) &&
        t.lines.every((l, i) => l.taxable_minor >= 0 && l.tax_minor === taxOf(l.taxable_minor, lines[i]![1], inclusive) && (!inclusive || l.tax_minor <= l.taxable_minor));
      if (!ok) faults.push({ lines, discount, shipping, inclusive, t });
    }
    expect(faults).toEqual([]);
  });
});

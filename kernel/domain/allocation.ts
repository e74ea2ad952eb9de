/**
 * Exact integer arithmetic for splitting and scaling money (minor units), in BigInt so that no
 * product of two amounts ever passes through a double.
 */

/** n / d rounded half to even (banker's rounding); d > 0. Ties go to the even neighbour, so rounding many lines has no upward drift. */
export function divideHalfEven(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError('divisor must be positive');
  const negative = n < 0n;
  const a = negative ? -n : n;
  const q = a / d;
  const r = a % d;
  const twice = 2n * r;
  const up = twice > d || (twice === d && q % 2n === 1n);
  const rounded = up ? q + 1n : q;
  return negative ? -rounded : rounded;
}

/**
 * Splits `total` (≥ 0) across `weights` (each ≥ 0) in proportion, largest remainder: each share
 * is the floor of its exact proportion, and the units left over go one each to the largest
 * remainders (ties: the earlier entry). The shares always add up to `total` exactly. With every
 * weight zero, the total is split evenly the same way.
 */
export function allocate(total: number, weights: number[]): number[] {
  if (!Number.isSafeInteger(total) || total < 0) throw new RangeError('total must be a non-negative safe integer');
  if (weights.length === 0) {
    if (total !== 0) throw new RangeError('nothing to allocate to');
    return [];
  }
  if (weights.some((w) => !Number.isSafeInteger(w) || w < 0)) throw new RangeError('weights must be non-negative safe integers');
  const big = weights.map(BigInt);
  const sum = big.reduce((a, b) => a + b, 0n);
  const w = sum === 0n ? big.map(() => 1n) : big;
  const denominator = sum === 0n ? BigInt(weights.length) : sum;
  const t = BigInt(total);
  const shares = w.map((x) => (t * x) / denominator);
  const remainders = w.map((x, i) => ({ i, r: (t * x) % denominator }));
  let left = t - shares.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0n) break;
    shares[i]! += 1n;
    left -= 1n;
  }
  return shares.map(Number);
}

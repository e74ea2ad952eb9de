import { fromMinorUnits, toMinorUnits } from '../../kernel/domain/money';

describe('money in exact minor units', () => {
  test('accepts the seed decimal 1299.99 as 129999 cents without float error', () => {
    expect(toMinorUnits(1299.99, 'USD')).toBe(129999);
    expect(toMinorUnits('1299.99', 'USD')).toBe(129999);
    expect(toMinorUnits(0.3, 'EUR')).toBe(30);
    // A float sum carries its error into the text; it is refused rather than rounded silently.
    expect(toMinorUnits(0.1 + 0.2, 'EUR')).toBeUndefined();
  });

  test('knows currencies without or with three minor digits', () => {
    expect(toMinorUnits(1500, 'JPY')).toBe(1500);
    expect(toMinorUnits('1.5', 'JPY')).toBeUndefined();
    expect(toMinorUnits('2.125', 'KWD')).toBe(2125);
  });

  test('refuses more fraction digits than the currency has, negatives and non-decimals', () => {
    expect(toMinorUnits('10.001', 'USD')).toBeUndefined();
    expect(toMinorUnits(-1, 'USD')).toBeUndefined();
    expect(toMinorUnits('1e3', 'USD')).toBeUndefined();
    expect(toMinorUnits('abc', 'USD')).toBeUndefined();
  });

  test('formats minor units back to a decimal string', () => {
    expect(fromMinorUnits(129999, 'USD')).toBe('1299.99');
    expect(fromMinorUnits(5, 'USD')).toBe('0.05');
    expect(fromMinorUnits(1500, 'JPY')).toBe('1500');
    expect(fromMinorUnits(-250, 'EUR')).toBe('-2.50');
  });
});

import { fromIntentStatus, intentKey, mayApply, operationKey, statusOfEvent } from '../src/domain/status';

describe('payment status rules', () => {
  test('terminal states never move back', () => {
    expect(mayApply('succeeded', 100, 'processing', 200)).toBe(false);
    expect(mayApply('canceled', 100, 'succeeded', 200)).toBe(false);
    expect(mayApply('refunded', 100, 'succeeded', 200)).toBe(false);
  });

  test('older events are stale; newer and equal-time ones apply', () => {
    expect(mayApply('processing', 100, 'requires_payment', 99)).toBe(false);
    expect(mayApply('processing', 100, 'succeeded', 100)).toBe(true);
    expect(mayApply('requires_payment', null, 'processing', 1)).toBe(true);
    expect(mayApply('creating', null, 'succeeded', 1)).toBe(true);
  });

  test('failed is not terminal (the customer may retry the same intent); a repeat of the same status is a no-op', () => {
    expect(mayApply('failed', 100, 'succeeded', 101)).toBe(true);
    expect(mayApply('processing', 100, 'processing', 101)).toBe(false);
  });

  test('a second decline (another card refused) applies again, unless it is older than the last event', () => {
    expect(mayApply('failed', 100, 'failed', 130)).toBe(true);
    expect(mayApply('failed', 100, 'failed', 90)).toBe(false);
  });

  test('Stripe statuses and events map onto ours', () => {
    expect(fromIntentStatus('requires_payment_method')).toBe('requires_payment');
    expect(fromIntentStatus('requires_capture')).toBe('processing');
    expect(fromIntentStatus('succeeded')).toBe('succeeded');
    expect(statusOfEvent('payment_intent.payment_failed')).toBe('failed');
    expect(statusOfEvent('charge.refunded')).toBeUndefined();
  });

  test('keys are stable and derived from what they protect', () => {
    expect(intentKey('o1', 2)).toBe('order:o1:attempt:2');
    expect(operationKey('p1', 'refund')).toBe('payment:p1:refund');
  });
});

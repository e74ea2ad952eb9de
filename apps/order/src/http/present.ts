import { fromMinorUnits } from '../../../../kernel/domain/money';
import type { OrderLine } from '../domain/pricing';
import type { OrderEvent, OrderRow } from '../store/orders';
import type { Reversal } from '../domain/reversal';

/** A cancel after payment, refund or return: what it refunds and restocks, and which steps are done. */
export function presentReversal(r: Reversal, currency: string) {
  return {
    id: r.id,
    kind: r.kind,
    amount_minor: r.amount_minor,
    amount: fromMinorUnits(r.amount_minor, currency.trim()),
    items: r.lines,
    release_promotions: r.release_promotions,
    refunded: r.amount_minor === 0 || !r.payment_id || r.refunded_at !== null,
    restocked: r.restocked,
    promotions_released: r.release_promotions ? r.promotions_released_at !== null : null,
    completed_at: r.completed_at,
    attempts: r.attempts,
    last_error: r.completed_at ? null : r.last_error,
    reason: r.reason,
    created_at: r.created_at,
  };
}

/**
 * The payment attempts the order saw, from its history: each declined card (the order waited for
 * another), then the one that paid. Without the history (list pages): undefined.
 */
interface PaymentAttempt {
  outcome: 'declined' | 'succeeded';
  attempt: number | null;
  detail: string | null;
  at: Date;
}

function paymentAttempts(history: OrderEvent[] | undefined): PaymentAttempt[] | undefined {
  if (!history) return undefined;
  return history.flatMap((e): PaymentAttempt[] => {
    const detail = (e.detail ?? {}) as { attempt?: number; detail?: string; max_attempts?: number };
    if (e.event === 'payment_declined') return [{ outcome: 'declined', attempt: detail.attempt ?? null, detail: detail.detail ?? null, at: e.at }];
    if (e.event === 'paid') return [{ outcome: 'succeeded', attempt: null, detail: null, at: e.at }];
    return [];
  });
}

/** An order as its owner sees it: decimal amounts beside minor units, the payment to confirm, the history. */
export function presentOrder(order: OrderRow, lines?: OrderLine[], history?: OrderEvent[], reversals?: Reversal[]) {
  const currency = order.currency.trim();
  const money = (minor: number) => fromMinorUnits(minor, currency);
  return {
    id: order.id,
    user_id: order.user_id,
    status: order.status,
    currency,
    subtotal: money(order.subtotal_minor),
    discount: money(order.discount_minor),
    shipping: money(order.shipping_minor),
    total: money(order.total_minor),
    subtotal_minor: order.subtotal_minor,
    discount_minor: order.discount_minor,
    shipping_minor: order.shipping_minor,
    total_minor: order.total_minor,
    tax: money(order.tax_minor ?? 0),
    tax_minor: order.tax_minor ?? 0,
    shipping_tax_minor: order.shipping_tax_minor ?? 0,
    prices_include_tax: order.prices_include_tax ?? null,
    shipping_method: order.shipping_method ? { ...order.shipping_method, price: money(order.shipping_method.price_minor) } : null,
    refunded: money(order.refunded_minor ?? 0),
    refunded_minor: order.refunded_minor ?? 0,
    coupon_codes: order.coupon_codes,
    discounts: order.discounts,
    shipping_address: order.shipping_address,
    payment: order.payment_id
      ? {
        payment_id: order.payment_id,
        intent_id: order.payment_intent_id,
        // While awaiting payment (a declined card included), the secret confirms the intent again with another card.
        client_secret: order.status === 'awaiting_payment' ? order.client_secret : null,
        ...(history ? { attempts: paymentAttempts(history) } : {}),
      }
      : null,
    cart_id: order.cart_id ?? null,
    failure_reason: order.failure_reason,
    failure_detail: order.failure_detail,
    version: order.version,
    created_at: order.created_at,
    updated_at: order.updated_at,
    paid_at: order.paid_at,
    ...(lines ? { items: lines.map((l) => ({ ...l, unit_price: money(l.unit_price_minor), line_total: money(l.line_total_minor), tax: money(l.tax_minor ?? 0) })) } : {}),
    ...(history ? { history } : {}),
    ...(reversals ? { reversals: reversals.map((r) => presentReversal(r, currency)) } : {}),
  };
}

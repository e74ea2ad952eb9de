import { fromMinorUnits } from '../../../../kernel/domain/money';
import type { PaymentRow } from '../store/payments';

/** A payment as customers and services see it: no client secret, keys or leases. */
export function presentPayment(row: PaymentRow) {
  return {
    id: row.id,
    order_id: row.order_id,
    user_id: row.user_id,
    attempt: row.attempt,
    status: row.status,
    provider: row.provider,
    provider_intent_id: row.provider_intent_id,
    amount_minor: row.amount_minor,
    amount: fromMinorUnits(row.amount_minor, row.currency),
    currency: row.currency,
    refunded_minor: row.refunded_minor,
    version: row.version,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

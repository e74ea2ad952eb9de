/**
 * What the checkout saga needs from its host, declared here so that workflows/ never imports
 * an app's internals: the order app passes its OrderStore (which has these two methods and
 * more) and a PaymentLookup over the payment service (apps/order/src/main.ts).
 */
import type { FailureReason } from './contract';
import type { TaxBasis, TaxBreakdown } from './tax';
import type { TraceContext } from '../../kernel/trace';

/** The order statuses the saga moves an order to. */
export type CheckoutStatus = 'reserved' | 'awaiting_payment' | 'paid' | 'failed' | 'cancelled';

/** Columns the saga writes on an order with its moves. */
export interface CheckoutPatch {
  subtotal_minor?: number;
  discount_minor?: number;
  shipping_minor?: number;
  total_minor?: number;
  discounts?: unknown[];
  payment_id?: string | null;
  payment_intent_id?: string | null;
  client_secret?: string | null;
  failure_reason?: FailureReason | null;
  failure_detail?: string | null;
  paid_at?: Date | null;
}

export interface OrderPort {
  /** Moves the order (a no-op when it is there already; `ok: false` when that move is not allowed from where it is) and writes a history line. */
  move(id: string, to: CheckoutStatus, event: string, patch?: CheckoutPatch, detail?: unknown): Promise<{ ok: boolean; order?: { status: string } | undefined }>;
  byId(id: string): Promise<{ payment_id?: string | null; payment_intent_id: string | null; client_secret: string | null } | undefined>;
  /** Writes a line in the order's history without moving it (a declined payment attempt). */
  note(id: string, event: string, detail?: unknown): Promise<void>;
  /**
   * The rates the order fixed at placement (tax.ts); undefined for an order placed before tax
   * existed (no tax). Optional, so a host without tax (and the tests' fakes) need not have it.
   */
  taxBasis?(id: string): Promise<TaxBasis | undefined>;
  /** Writes the tax computed after the discount on the order and its lines (idempotent: a repeat writes the same). */
  recordTax?(id: string, tax: TaxBreakdown): Promise<void>;
  /** The trace of the request that placed the order (kernel/trace.ts), for the activities' calls; optional like the two above. */
  traceOf?(id: string): Promise<TraceContext | undefined>;
}

/** A payment as the payment service recorded it: its outcome (`pending` while it has none, or it does not know it) and which state of the record that is. */
export interface RecordedOutcome {
  outcome: 'succeeded' | 'failed' | 'pending';
  /** `<payment id>:<version>`: two declines of one payment have two keys, two reads of one decline the same (null when unknown). */
  attempt_key: string | null;
}

/** Asks the payment service; throws when it cannot be asked. */
export interface PaymentLookup {
  recorded(paymentId: string): Promise<RecordedOutcome>;
}

/**
 * The checkout saga's contract: its input, the activities it calls (by name, so the workflow
 * code holds no references to I/O) and the external events it waits for.
 */

/**
 * Versioning rule. Dapr replays a running instance on the code registered under its name, so
 * a change that alters the sequence of yields of a version (which activities, timers, events
 * and whenAny it yields, and in what order, on any branch) is a new version with a new name
 * (`checkout.v3`, …) added at the end here; the JS SDK (3.18) has no patching API to branch
 * inside one version. Activity inputs, activity bodies, labels and details may change in place.
 * The previous version stays registered (runtime.ts registers every name below) until no order
 * runs on it, then it is deleted with the activities only it calls. New orders and every
 * re-run of the recovery sweep start on the latest. test/unit/saga-trace.test.ts holds each
 * registered version's yield sequence per branch (v2.trace.json, v3.trace.json) and fails when
 * one changes.
 */
export const CHECKOUT_VERSIONS = ['checkout', 'checkout.v2', 'checkout.v3', 'checkout.v4'] as const;
export type CheckoutWorkflowName = (typeof CHECKOUT_VERSIONS)[number];
/** What new instances start on: the latest version. */
export const CHECKOUT_WORKFLOW: CheckoutWorkflowName = 'checkout.v4';

/** Why a checkout ended `failed`; stored on the order and shown to its owner. */
export type FailureReason =
  | 'out_of_stock'
  | 'coupon_unavailable'
  | 'coupon_invalid'
  | 'payment_refused'
  | 'payment_declined'
  | 'payment_timeout'
  | 'reservation_expired'
  | 'service_unavailable'
  | 'internal_error';

export interface CheckoutInput {
  order_id: string;
  user_id: string;
  currency: string;
  /** One entry per SKU, in SKU order. */
  reservations: Array<{ sku: string; quantity: number }>;
  /** What promotions price (product, quantity, unit price). */
  items: Array<{ product_id: string; quantity: number; unit_price_minor: number }>;
  coupon_codes: string[];
  shipping_minor: number;
  payment_timeout_seconds: number;
  reservation_ttl_seconds: number;
  /** v3: declined payments an order takes (the customer retries with another card) before it fails; 1 when absent. */
  payment_max_attempts?: number;
  /** v3: the cart the order was placed from (held at placement): emptied once paid, released if the order does not go through. */
  cart?: { cart_id: string };
}

/** External events raised into a running checkout (instance id = order id). */
export const EVENTS = {
  /** The payment service saw Stripe confirm or fail the intent (webhook → pub/sub → order). */
  payment: 'payment',
  /** The customer (or an admin) cancelled before payment. */
  cancel: 'cancel',
} as const;

export interface PaymentEvent {
  status: 'succeeded' | 'failed';
  payment_id: string;
  detail?: string;
  /** Names the payment record's state the event was checked against (v3 counts each decline once). */
  attempt_key?: string;
}

export interface CancelEvent {
  by: string;
  reason?: string;
}

/** A step that the other service refused for good (no retry changes it): the saga compensates. */
export interface Refusal {
  ok: false;
  reason: FailureReason;
  detail: string;
}

export interface Totals {
  subtotal_minor: number;
  discount_minor: number;
  shipping_minor: number;
  total_minor: number;
  discounts: unknown[];
}

export type ReserveOutcome = { ok: true } | Refusal;
export type RedeemOutcome = ({ ok: true } & Totals) | Refusal;
export type PaymentOutcome = { ok: true; payment_id: string; intent_id: string; status: string } | Refusal;
export type SettleOutcome = { ok: true } | Refusal;
export type CancelPaymentOutcome = { outcome: 'canceled' | 'already_succeeded' | 'none' };
/** What undoing a payment took: nothing to undo (`none`), a cancel, or a refund of a payment that had succeeded. */
export type VoidPaymentOutcome = { outcome: 'canceled' | 'refunded' | 'none' };
/** What the payment service recorded for the order's payment: `pending` while it has no outcome yet. */
export type PaymentCheckOutcome = { outcome: 'succeeded' | 'failed' | 'pending' };

/**
 * Activity names. Those of v1 keep their names and behaviour while v1 is registered; an activity
 * whose behaviour changes for a new version gets a new name (reserveStock.v2).
 */
export const ACTIVITIES = {
  reserveStock: 'reserveStock',
  reserveStockV2: 'reserveStock.v2',
  redeemPromotions: 'redeemPromotions',
  openPayment: 'openPayment',
  settle: 'settle',
  releaseStock: 'releaseStock',
  releasePromotions: 'releasePromotions',
  cancelPayment: 'cancelPayment',
  refundPayment: 'refundPayment',
  checkPayment: 'checkPayment',
  voidPayment: 'voidPayment',
  finish: 'finish',
  recordDecline: 'recordDecline',
  holdCart: 'holdCart',
  releaseCart: 'releaseCart',
  emptyCart: 'emptyCart',
  /** v4: holdCart, reserveStock.v2, redeemPromotions and openPayment in one turn. */
  prepare: 'prepareCheckout',
  /** v4: the compensation of prepareCheckout: voidPayment, releasePromotions, releaseStock and releaseCart in one turn. */
  unwind: 'unwindCheckout',
  /** v4: settle, then emptyCart, in one turn. */
  settleV4: 'settle.v4',
} as const;

/** v4: what prepareCheckout did (undone newest first by unwindCheckout). */
export type PreparedPart = 'cart' | 'stock' | 'promotions' | 'payment';

/** v4: how far prepareCheckout got when a part refused. */
export type PrepareOutcome =
  | ({ ok: true; payment_id: string | null } & Totals)
  | (Refusal & { reached: PreparedPart[] });

export interface UnwindInput {
  order_id: string;
  reservations: Array<{ sku: string; quantity: number }>;
  cart_id?: string;
  /** What to undo; absent payment_id with `payment` listed: the one the order records, if any. */
  parts: PreparedPart[];
  payment_id?: string;
}

/** v4: the labels of what unwindCheckout undid, newest first (v3's compensation labels). */
export type UnwindOutcome = { undone: string[] };

/** v4: a settle, and whether the cart lost the ordered lines (false: the saga runs emptyCart on its own). */
export type SettleV4Outcome = ({ ok: true } | Refusal) & { cart_emptied?: boolean };

/** What recording a declined attempt answers: the order still waits for another card. */
export interface DeclineRecord {
  order_id: string;
  payment_id: string;
  attempt: number;
  max_attempts: number;
  detail: string;
}

/** How the saga ended: written on the order by the `finish` activity. */
export interface Ending {
  order_id: string;
  status: 'paid' | 'failed' | 'cancelled';
  reason?: FailureReason;
  detail?: string;
  compensated?: string[];
}

import { AbstractActor, Temporal } from '@dapr/dapr';
import { HttpProblem } from '../../kernel/problem';
import { validateUntyped, type JSONSchema } from '../../kernel/validation';
import { SKU_PATTERN } from '../../kernel/domain/sku';
import { adjustInput, orderRefInput, reserveInput, returnBody, type AdjustInput, type OrderRefInput, type ReserveInput, type ReturnInput } from './commands';
import type { AdjustAnswer, AvailabilityAnswer, InventoryActorDeps, ReserveAnswer, ReturnAnswer, TransitionAnswer } from './ports';

export type { InventoryActorDeps } from './ports';

/** What the actor needs; main.ts supplies it (the SDK constructs actors itself). */
let deps: InventoryActorDeps | undefined;

export function configureInventoryActor(value: InventoryActorDeps): void {
  deps = value;
}

function need(): InventoryActorDeps {
  if (!deps) throw new Error('InventoryItemActor used before configureInventoryActor()');
  return deps;
}

/** A refused call: bad arguments (a caller's bug), answered as a result like every domain failure. */
export interface InvalidResult {
  ok: false;
  reason: 'invalid';
  detail: string;
  errors?: unknown;
}

const isInvalid = (value: unknown): value is InvalidResult => typeof value === 'object' && value !== null && 'ok' in value;

const REMINDER_PREFIX = 'expire:';
const reminderName = (orderId: string) => `${REMINDER_PREFIX}${orderId}`;

/**
 * One virtual actor per SKU (actor id = SKU). Dapr runs one call at a time per actor, so the
 * reservations of a hot SKU queue here instead of fighting over row locks; inside each call the
 * store's transaction still locks the SKU's rows (see StockStore), so correctness does not rest
 * on placement alone. The actor keeps no state of its own: PostgreSQL is the truth, and the only
 * thing Dapr keeps for it is the expiry reminder of each active reservation.
 *
 * Every method takes one JSON object and answers a JSON result; domain failures are results
 * (`{ ok: false, reason }`), exceptions mean the infrastructure failed (the caller may retry:
 * every method is idempotent). The class name is the actor type: do not rename or minify.
 */
export class InventoryItemActor extends AbstractActor {
  private get sku(): string {
    return this.getActorId().getId();
  }

  async reserve(input: unknown): Promise<ReserveAnswer | InvalidResult> {
    const args = this.check<ReserveInput>(reserveInput, input);
    if (isInvalid(args)) return args;
    const result = await need().store.reserve(this.sku, args);
    // (Re-)arm the expiry on every success, replays included: a call that failed after its
    // commit but before its reminder is repaired by the caller's retry.
    if (result.ok && result.reservation.status === 'active') await this.armExpiry(result.reservation.order_id, result.reservation.expires_at);
    return result;
  }

  async commit(input: unknown): Promise<TransitionAnswer | InvalidResult> {
    const args = this.check<OrderRefInput>(orderRefInput, input);
    if (isInvalid(args)) return args;
    const result = await need().store.transition(this.sku, args.order_id, 'commit');
    if (result.ok || result.reason === 'expired') await this.disarmExpiry(args.order_id);
    return result;
  }

  async release(input: unknown): Promise<TransitionAnswer | InvalidResult> {
    const args = this.check<OrderRefInput>(orderRefInput, input);
    if (isInvalid(args)) return args;
    const result = await need().store.transition(this.sku, args.order_id, 'release');
    if (result.ok) await this.disarmExpiry(args.order_id);
    return result;
  }

  /** Expires a reservation now if it is still active (the reminder's work; also the sweeper's). */
  async expire(input: unknown): Promise<TransitionAnswer | InvalidResult> {
    const args = this.check<OrderRefInput>(orderRefInput, input);
    if (isInvalid(args)) return args;
    const result = await need().store.transition(this.sku, args.order_id, 'expire');
    await this.disarmExpiry(args.order_id);
    return result;
  }

  /** Applied once per `adjustment_id` (a retry of the same call carries the same id). */
  async adjust(input: unknown): Promise<AdjustAnswer | InvalidResult> {
    const args = this.check<AdjustInput>(adjustInput, input);
    if (isInvalid(args)) return args;
    return need().store.adjust(this.sku, args);
  }

  /** Puts an order's committed stock back on hand (a return); once per (sku, order_id). */
  async restock(input: unknown): Promise<ReturnAnswer | InvalidResult> {
    const args = this.check<ReturnInput>(returnBody, input);
    if (isInvalid(args)) return args;
    return need().store.restock(this.sku, args);
  }

  async availability(): Promise<AvailabilityAnswer> {
    return need().store.availability(this.sku);
  }

  /**
   * Reminder `expire:<order_id>` fired. Its data is the reminder's name: a plain string (the
   * SDK turns an object into "[object Object]", and a bare order id could parse as JSON).
   */
  override async receiveReminder(data: unknown): Promise<void> {
    const orderId = typeof data === 'string' && data.startsWith(REMINDER_PREFIX) ? data.slice(REMINDER_PREFIX.length) : undefined;
    if (!orderId) {
      need().logger.warn({ sku: this.sku, data: String(data) }, 'inventory reminder without an order id ignored');
      return;
    }
    const result = await need().store.transition(this.sku, orderId, 'expire');
    if (result.ok && !result.replayed) need().logger.info({ sku: this.sku, order_id: orderId }, 'reservation expired');
    await this.disarmExpiry(orderId);
  }

  private check<T>(schema: JSONSchema, input: unknown): T | InvalidResult {
    if (!new RegExp(SKU_PATTERN).test(this.sku)) return { ok: false, reason: 'invalid', detail: `"${this.sku}" is not a SKU.` };
    try {
      return validateUntyped(schema, input ?? {}, 'body') as T;
    } catch (err) {
      if (err instanceof HttpProblem) return { ok: false, reason: 'invalid', detail: err.message, errors: err.extensions.errors };
      throw err;
    }
  }

  private async armExpiry(orderId: string, expiresAt: string): Promise<void> {
    const dueMs = Math.max(0, new Date(expiresAt).getTime() - Date.now());
    await this.registerActorReminder(reminderName(orderId), Temporal.Duration.from({ milliseconds: dueMs }), undefined, undefined, reminderName(orderId));
  }

  /** Best effort: a reminder left behind finds the reservation settled and does nothing. */
  private async disarmExpiry(orderId: string): Promise<void> {
    await this.unregisterActorReminder(reminderName(orderId)).catch((err: unknown) =>
      need().logger.debug({ err, sku: this.sku, order_id: orderId }, 'expiry reminder not removed'),
    );
  }
}

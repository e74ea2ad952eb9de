/**
 * What InventoryItemActor needs from its host, declared here so that actors/ never imports an
 * app's internals: the inventory app passes its StockStore (apps/inventory/src/main.ts). Only the
 * fields the actor reads are typed; the store's full answers (apps/inventory/src/store/stock.ts)
 * go back to the caller as they are, and the app's routes type them on their side.
 */
import type { Logger } from '../../kernel/logger';
import type { AdjustInput, ReserveInput, ReturnInput } from './commands';

/** A domain refusal (`{ ok: false, reason }`, with the store's fields). */
export type Refused = { ok: false; reason: string };

export type ReserveAnswer = { ok: true; replayed: boolean; reservation: { order_id: string; status: string; expires_at: string } } | Refused;
export type TransitionAnswer = { ok: true; replayed: boolean } | Refused;
export type AdjustAnswer = { ok: boolean };
export type ReturnAnswer = { ok: boolean };
/** Totals and per-location figures of a SKU. */
export type AvailabilityAnswer = { sku: string; on_hand: number; reserved: number; available: number };

export interface StockPort {
  reserve(sku: string, input: ReserveInput): Promise<ReserveAnswer>;
  transition(sku: string, orderId: string, action: 'commit' | 'release' | 'expire'): Promise<TransitionAnswer>;
  adjust(sku: string, input: AdjustInput): Promise<AdjustAnswer>;
  restock(sku: string, input: ReturnInput): Promise<ReturnAnswer>;
  availability(sku: string): Promise<AvailabilityAnswer>;
}

export interface InventoryActorDeps {
  store: StockPort;
  logger: Logger;
}

import type { Delivery, Subscription } from '../../../../kernel/dapr/subscriptions';
import type { Logger } from '../../../../kernel/logger';
import { ajv } from '../../../../kernel/validation';
import { skuSchema } from '../../../../kernel/domain/sku';
import { PUBSUB, STOCK_DEAD_LETTER_TOPIC, STOCK_TOPICS, stockChangedSchema, type StockChanged } from '../../../inventory/src/events/contract';
import type { SkuStock } from '../domain/stock';
import type { InventoryRecord } from '../store/inventory-stock';
import type { WriteOutcome } from '../store/writer';
import { stockEvents } from './metrics';
import { CoalescedRuns } from '../../../../kernel/store/coalescer';

/** What the stock handler needs from the store (an interface, so tests fake it). */
export interface StockWriter {
  productsWithSku(sku: string): Promise<string[]>;
  writeStock(productId: string, sku: string, report: SkuStock): Promise<WriteOutcome | { kind: 'absent' }>;
}

const isStockChanged = ajv.compile<StockChanged>(stockChangedSchema);
/** The inventory's routes take only well-formed SKUs: anything else could never be asked about. */
const isSku = ajv.compile(skuSchema);

/**
 * Writes the inventory's current figure for one SKU into the products that sell it. Shared by
 * the stock events and by product events (a product indexed without stock asks for its SKUs).
 * Transient store failures → RETRY; a document Elasticsearch refuses → dead letter.
 */
export async function applyReport(writer: StockWriter, productIds: string[], sku: string, report: SkuStock, log: Logger): Promise<Delivery> {
  for (const id of productIds) {
    const outcome = await writer.writeStock(id, sku, report);
    if (outcome.kind === 'transient') {
      log.warn({ id, sku, reason: outcome.reason }, 'search index unavailable; asking for redelivery');
      return 'RETRY';
    }
    if (outcome.kind === 'rejected') return { deadLetter: `Elasticsearch refused the stock of ${sku} for product ${id}: ${outcome.reason}` };
    log.debug({ id, sku, seq: report.seq, outcome: outcome.kind }, 'stock report');
  }
  return 'SUCCESS';
}

/**
 * An `inventory.stock.changed` event is a claim and a trigger, not a fact: the figure written is
 * the inventory's own, read now (so a late or duplicated event writes the newest figure, and a
 * forged one writes only the truth), kept only over a lower seq. An event claiming a seq the
 * inventory has not reached is a lie or from another inventory: parked. A payload that breaks
 * the contract: parked. The inventory unreachable: thrown → RETRY.
 */
export function stockEventHandler(writer: StockWriter, inventory: InventoryRecord): Subscription['handler'] {
  const topic = STOCK_TOPICS.changed;
  const count = (outcome: string) => stockEvents.inc({ topic, outcome });
  // A hot SKU (a flash sale) sends an event per reservation. Events of one SKU that arrive while
  // its figure is being read, or written, share the next read or write (CoalescedRuns): that
  // read begins after each of them arrived, so it sees at least what each announces, and the
  // write carries the highest seq read, which covers every lower one.
  const reads = new CoalescedRuns<string, void, SkuStock>((sku) => inventory(sku));
  const writes = new CoalescedRuns<string, { report: SkuStock; log: Logger }, Delivery>(async (sku, waiting) => {
    const { report, log } = waiting.reduce((newest, next) => (next.report.seq > newest.report.seq ? next : newest));
    const products = await writer.productsWithSku(sku);
    // No product sells it (not in the catalog yet, or deleted): a product indexed later asks
    // the inventory for its SKUs itself (product-events.ts).
    if (products.length === 0) log.debug({ sku }, 'no product in the index sells this SKU');
    return applyReport(writer, products, sku, report, log);
  });
  return async (event, log) => {
    if (!isStockChanged(event.data)) {
      count('dead_letter');
      return { deadLetter: `payload does not match the ${topic} contract: ${ajv.errorsText(isStockChanged.errors)}` };
    }
    const { sku, seq: claimed } = event.data;
    if (!isSku(sku)) {
      count('dead_letter');
      return { deadLetter: `${JSON.stringify(String(sku).slice(0, 80))} is not a SKU` };
    }
    const report = await reads.run(sku, undefined);
    if (claimed !== undefined && claimed > report.seq) {
      count('dead_letter');
      return { deadLetter: `the inventory has ${sku} at seq ${report.seq}, the event claims seq ${claimed}` };
    }
    const decision = await writes.run(sku, { report, log });
    count(decision === 'SUCCESS' ? 'applied' : decision === 'RETRY' ? 'retry' : 'dead_letter');
    return decision;
  };
}

export function stockSubscriptions(writer: StockWriter, inventory: InventoryRecord): Subscription[] {
  return [{ pubsub: PUBSUB, topic: STOCK_TOPICS.changed, deadLetterTopic: STOCK_DEAD_LETTER_TOPIC, handler: stockEventHandler(writer, inventory) }];
}

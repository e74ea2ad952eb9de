import type { Delivery, Subscription } from '../../../../kernel/dapr/subscriptions';
import type { Logger } from '../../../../kernel/logger';
import { ajv } from '../../../../kernel/validation';
import {
  PRODUCT_DEAD_LETTER_TOPIC,
  PRODUCT_TOPICS,
  PUBSUB,
  productChangedSchema,
  productDeletedSchema,
  type ProductChanged,
  type ProductDeleted,
  type ProductSnapshot,
} from '../../../catalog/src/events/contract';
import { documentOf, tombstoneOf, type ProductDocument } from '../domain/document';
import type { InventoryRecord } from '../store/inventory-stock';
import type { WriteOutcome } from '../store/writer';
import { indexingLag, productEvents } from './metrics';
import { applyReport, type StockWriter } from './stock-events';

/** The one thing the handlers need from the store (an interface, so tests can fake a failing one). */
export interface ProductWriter {
  write(doc: ProductDocument): Promise<WriteOutcome>;
}

const isChanged = ajv.compile<ProductChanged>(productChangedSchema);
const isDeleted = ajv.compile<ProductDeleted>(productDeletedSchema);

type ProductTopic = (typeof PRODUCT_TOPICS)[keyof typeof PRODUCT_TOPICS];

/**
 * The handler of one catalog topic: each event becomes one versioned write. The decision table:
 * payload breaks the contract → dead letter (retrying cannot fix it); Elasticsearch down, slow
 * or failing → RETRY (Dapr redelivers with back-off; never acknowledged and lost); written, or
 * already newer in the index → SUCCESS.
 */
export function productEventHandler(writer: ProductWriter, topic: ProductTopic, now: () => number = Date.now, stock?: StockFill): Subscription['handler'] {
  const deadLetter = (reason: string): Delivery => {
    productEvents.inc({ topic, outcome: 'dead_letter' });
    return { deadLetter: reason };
  };

  /**
   * A SKU whose stock the document has no report of (a new product, a new variant) is asked of
   * the inventory once the product is written: a stock event that came before the document
   * found nothing to write to, and one that comes after finds the document.
   */
  async function fillStock(id: string, unreported: string[] | undefined, log: Logger): Promise<Delivery> {
    if (!stock || !unreported?.length) return 'SUCCESS';
    for (const sku of unreported) {
      const decision = await applyReport(stock.writer, [id], sku, await stock.inventory(sku), log);
      if (decision !== 'SUCCESS') return decision;
    }
    return 'SUCCESS';
  }

  async function apply(doc: ProductDocument, changedAt: string, log: Logger): Promise<Delivery> {
    const outcome = await writer.write(doc);
    switch (outcome.kind) {
      case 'written':
        productEvents.inc({ topic, outcome: 'indexed' });
        indexingLag.observe({ topic }, Math.max(0, (now() - Date.parse(changedAt)) / 1000));
        return fillStock(doc.id, outcome.unreported, log);
      case 'stale':
        productEvents.inc({ topic, outcome: 'stale' });
        log.debug({ id: doc.id, version: doc.version }, 'index already has this version or newer');
        // A redelivery after the fill failed: fill now.
        return fillStock(doc.id, outcome.unreported, log);
      case 'transient':
        productEvents.inc({ topic, outcome: 'retry' });
        log.warn({ id: doc.id, version: doc.version, reason: outcome.reason }, 'search index unavailable; asking for redelivery');
        return 'RETRY';
      case 'rejected':
        return deadLetter(`Elasticsearch refused product ${doc.id} v${doc.version}: ${outcome.reason}`);
    }
  }

  if (topic === PRODUCT_TOPICS.deleted) {
    return async (event, log) => {
      if (!isDeleted(event.data)) return deadLetter(`payload does not match the ${topic} contract: ${ajv.errorsText(isDeleted.errors)}`);
      return apply(tombstoneOf(event.data), event.data.occurred_at, log);
    };
  }
  return async (event, log) => {
    if (!isChanged(event.data)) return deadLetter(`payload does not match the ${topic} contract: ${ajv.errorsText(isChanged.errors)}`);
    return apply(documentOf(event.data.product), event.data.product.updated_at, log);
  };
}

/**
 * The catalog's own record of a product (its internal snapshot route): undefined when the product
 * does not exist; throws when the catalog cannot be asked (the delivery is then retried).
 */
export type CatalogRecord = (id: string) => Promise<ProductSnapshot | undefined>;

/**
 * An event is a claim, not a fact: before a product event changes the index, the product is read
 * from the catalog, its owner. A change is indexed as the catalog has it now (never the event's
 * copy), and only if the catalog is at least at the event's version; a delete only if the
 * product is gone. A claim the catalog contradicts is parked for an operator; a change of a
 * product deleted since then indexes nothing (its delete event does). Pub/sub scopes already
 * stop other apps from publishing catalog topics; this covers a message put straight into the
 * broker, which could otherwise rewrite any product's name or price in search.
 */
export function checkedAgainstCatalog(topic: ProductTopic, handler: Subscription['handler'], catalog: CatalogRecord): Subscription['handler'] {
  if (topic === PRODUCT_TOPICS.deleted) {
    return async (event, log) => {
      if (!isDeleted(event.data)) return handler(event, log); // the handler parks a broken contract
      const recorded = await catalog(event.data.product.id);
      if (recorded) return { deadLetter: `the catalog still has product ${recorded.id} (v${recorded.version}): not deleted` };
      return handler(event, log);
    };
  }
  return async (event, log) => {
    if (!isChanged(event.data)) return handler(event, log);
    const claimed = event.data.product;
    const recorded = await catalog(claimed.id);
    if (!recorded) {
      log.info({ id: claimed.id, version: claimed.version }, 'product no longer in the catalog: nothing to index (its delete event removes it)');
      return 'SUCCESS';
    }
    if (recorded.version < claimed.version) {
      return { deadLetter: `the catalog has product ${claimed.id} at v${recorded.version}, the event claims v${claimed.version}` };
    }
    return handler({ ...event, data: { ...event.data, product: recorded } }, log);
  };
}

/** Where a product's missing stock comes from: the inventory, written as stock reports. */
export interface StockFill {
  writer: StockWriter;
  inventory: InventoryRecord;
}

/** The search service's subscriptions: the three catalog product topics, one dead-letter topic. */
export function productSubscriptions(writer: ProductWriter, catalog: CatalogRecord, stock?: StockFill): Subscription[] {
  return Object.values(PRODUCT_TOPICS).map((topic) => ({
    pubsub: PUBSUB,
    topic,
    deadLetterTopic: PRODUCT_DEAD_LETTER_TOPIC,
    handler: checkedAgainstCatalog(topic, productEventHandler(writer, topic, Date.now, stock), catalog),
  }));
}

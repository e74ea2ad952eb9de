import type { CloudEvent, Delivery } from '../../../kernel/dapr/subscriptions';
import { PRODUCT_TOPICS, type ProductSnapshot } from '../../catalog/src/events/contract';
import { checkedAgainstCatalog } from '../src/events/product-events';
import { changedEvent, deletedEvent, product, silentLog } from './support/elasticsearch';

/** The handler behind the check: records what reached it. */
function recorder() {
  const seen: CloudEvent[] = [];
  const handler = async (event: CloudEvent): Promise<Delivery> => {
    seen.push(event);
    return 'SUCCESS';
  };
  return { seen, handler };
}

const catalogWith = (...records: ProductSnapshot[]) => async (id: string) => records.find((r) => r.id === id);

describe('a product event is checked against the catalog before it changes the index', () => {
  test("a change is indexed as the catalog has it, not as the event says", async () => {
    const real = product({ name: 'Lantern', version: 3 });
    const { seen, handler } = recorder();
    const forged = changedEvent({ ...real, name: 'HACKED', base_price_minor: 1 });
    expect(await checkedAgainstCatalog(PRODUCT_TOPICS.updated, handler, catalogWith(real))(forged, silentLog)).toBe('SUCCESS');
    expect((seen[0]!.data as { product: ProductSnapshot }).product).toEqual(real);
  });

  test('a change claiming a version the catalog does not have is parked', async () => {
    const real = product({ version: 3 });
    const { seen, handler } = recorder();
    const decision = await checkedAgainstCatalog(PRODUCT_TOPICS.updated, handler, catalogWith(real))(changedEvent({ ...real, version: 9 }), silentLog);
    expect(decision).toEqual({ deadLetter: expect.stringContaining('claims v9') });
    expect(seen).toEqual([]);
  });

  test('a change of a product the catalog does not have changes nothing', async () => {
    const { seen, handler } = recorder();
    expect(await checkedAgainstCatalog(PRODUCT_TOPICS.created, handler, catalogWith())(changedEvent(product(), PRODUCT_TOPICS.created), silentLog)).toBe('SUCCESS');
    expect(seen).toEqual([]);
  });

  test('a delete of a product the catalog still has is parked; of a deleted one, it goes on', async () => {
    const real = product({ version: 2 });
    const { seen, handler } = recorder();
    expect(await checkedAgainstCatalog(PRODUCT_TOPICS.deleted, handler, catalogWith(real))(deletedEvent(real, 3), silentLog)).toEqual({ deadLetter: expect.stringContaining('still has') });
    expect(seen).toEqual([]);
    expect(await checkedAgainstCatalog(PRODUCT_TOPICS.deleted, handler, catalogWith())(deletedEvent(real, 3), silentLog)).toBe('SUCCESS');
    expect(seen).toHaveLength(1);
  });

  test('a payload that breaks the contract goes to the handler, which parks it; an unreachable catalog is retried', async () => {
    const { seen, handler } = recorder();
    const broken: CloudEvent = { ...changedEvent(product()), data: { nonsense: true } };
    await checkedAgainstCatalog(PRODUCT_TOPICS.updated, handler, catalogWith())(broken, silentLog);
    expect(seen).toEqual([broken]);
    const down = async () => {
      throw new Error('catalog unreachable');
    };
    await expect(checkedAgainstCatalog(PRODUCT_TOPICS.updated, handler, down)(changedEvent(product()), silentLog)).rejects.toThrow('unreachable');
  });
});

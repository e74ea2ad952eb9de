import { registry } from '../../kernel/http/metrics';
import { openOrdersGauges, ordersMoved } from '../../apps/order/src/store/metrics';

const line = (text: string, series: string) => text.split('\n').find((l) => l.startsWith(`${series} `));

test('open orders by status come from the store on each scrape; every open status is there, at 0 when none', async () => {
  let reads = 0;
  openOrdersGauges(async () => {
    reads += 1;
    return [{ status: 'awaiting_payment', count: 3, oldest_seconds: 42.5 }];
  });
  const text = await registry.metrics();
  expect(line(text, 'orders_open{status="awaiting_payment"}')).toBe('orders_open{status="awaiting_payment"} 3');
  expect(line(text, 'orders_open_oldest_seconds{status="awaiting_payment"}')).toBe('orders_open_oldest_seconds{status="awaiting_payment"} 42.5');
  for (const status of ['pending', 'reserved', 'cancelling']) expect(line(text, `orders_open{status="${status}"}`)).toBe(`orders_open{status="${status}"} 0`);
  expect(reads).toBe(1); // one query serves both gauges
});

test('a store that does not answer leaves the gauges at 0 instead of failing the scrape', async () => {
  openOrdersGauges(async () => {
    throw new Error('connection refused');
  });
  const text = await registry.metrics();
  expect(line(text, 'orders_open{status="pending"}')).toBe('orders_open{status="pending"} 0');
});

test('every status change has its series from the start', async () => {
  const text = await registry.metrics();
  for (const to of ['paid', 'failed', 'cancelled']) expect(line(text, `orders_moved_total{to="${to}"}`)).toBe(`orders_moved_total{to="${to}"} 0`);
  ordersMoved.inc({ to: 'paid' });
  expect(line(await registry.metrics(), 'orders_moved_total{to="paid"}')).toBe('orders_moved_total{to="paid"} 1');
});

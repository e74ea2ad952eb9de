import { refreshIntervalMs } from '../src/store/layout';

test("Elasticsearch's refresh interval in ms, or undefined when there is no periodic refresh to wait for", () => {
  expect(refreshIntervalMs('200ms')).toBe(200);
  expect(refreshIntervalMs('1s')).toBe(1000);
  expect(refreshIntervalMs(' 30s ')).toBe(30_000);
  expect(refreshIntervalMs('-1')).toBeUndefined(); // refresh off: the writer refreshes itself
  expect(refreshIntervalMs('1m')).toBeUndefined(); // not understood: refresh rather than guess
  expect(refreshIntervalMs('')).toBeUndefined();
});

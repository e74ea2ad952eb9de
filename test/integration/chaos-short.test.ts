/**
 * The short version of `npm run chaos` (chaos/run.ts) inside `npm test`: every scenario with
 * the `short` profile (fewer checkouts and kills, a 20 s search outage), on the real stack.
 * Each scenario's invariants are listed in the failure message.
 */
import { runChaos } from '../../chaos/run';
import { profileNamed } from '../../chaos/lib/profile';
import { summaryLine } from '../../chaos/lib/scenario';

test('chaos (short): processes killed, backing services restarted, PostgreSQL slowed, Elasticsearch down, poison published — every invariant holds', async () => {
  const lines: string[] = [];
  const results = await runChaos({ profile: profileNamed('short'), log: (line) => lines.push(line) });
  const summary = results.map(summaryLine).join('\n');
  console.log(summary);
  expect(results.length).toBeGreaterThanOrEqual(5);
  expect(results.filter((r) => !r.ok).map(summaryLine)).toEqual([]);
}, 1_200_000);

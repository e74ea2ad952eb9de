/**
 * The versioning rule made mechanical (workflows/checkout/contract.ts): Dapr replays an
 * instance in flight against the code registered under its name, so the sequence of yields of
 * every branch of the latest version (activities by name, timers, whenAny) must not change.
 * Each branch's sequence is held in workflows/checkout/v2.trace.json; a change there fails here.
 * A new branch (one added to test/support/checkout-branches.ts) is recorded once by running this
 * test with CHECKOUT_TRACE_ADD=1; a recorded branch is never rewritten.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkoutV2 } from '../../workflows/checkout/v2';
import { CHECKOUT_VERSIONS, CHECKOUT_WORKFLOW } from '../../workflows/checkout/contract';
import { BRANCHES, input } from '../support/checkout-branches';
import { driveWorkflow } from '../support/fake-workflow';

const FIXTURE = join(__dirname, '../../workflows/checkout/v2.trace.json');
const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { workflow: string; branches: Record<string, string[]> };
const changed = 'the yield sequence of checkout.v2 changed: register checkout.v3 and keep v2';

test('v2 is the latest registered version, and the fixture is its', () => {
  expect(CHECKOUT_WORKFLOW).toBe('checkout.v2');
  expect(CHECKOUT_VERSIONS[CHECKOUT_VERSIONS.length - 1]).toBe(CHECKOUT_WORKFLOW);
  expect(recorded.workflow).toBe('checkout.v2');
});

test.each(Object.keys(BRANCHES) as Array<keyof typeof BRANCHES>)('branch %s yields what checkout.v2 recorded', async (name) => {
  const b = BRANCHES[name];
  const { trace } = await driveWorkflow(checkoutV2, input, { instanceId: b.instanceId, script: b.script, wait: b.wait });
  const before = recorded.branches[name];
  if (!before && process.env.CHECKOUT_TRACE_ADD === '1') {
    const now = JSON.parse(readFileSync(FIXTURE, 'utf8')) as typeof recorded;
    now.branches[name] = trace;
    writeFileSync(FIXTURE, `${JSON.stringify(now, null, 2)}\n`);
    return;
  }
  if (!before) throw new Error(`branch ${name} has no recorded yield sequence: record it with CHECKOUT_TRACE_ADD=1 (new branches only)`);
  if (JSON.stringify(trace) !== JSON.stringify(before)) {
    throw new Error(`${changed} (branch ${name})\nrecorded: ${before.join(', ')}\nnow:      ${trace.join(', ')}`);
  }
});

test('every recorded branch is still run (a branch gone is a changed sequence too)', () => {
  const gone = Object.keys(recorded.branches).filter((name) => !(name in BRANCHES));
  if (gone.length) throw new Error(`${changed} (branches no longer run: ${gone.join(', ')})`);
});

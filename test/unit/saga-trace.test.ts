/**
 * The versioning rule made mechanical (workflows/checkout/contract.ts): Dapr replays an
 * instance in flight against the code registered under its name, so the sequence of yields of
 * every branch of every registered version (activities by name, timers, whenAny) must not
 * change. Each version's sequences are held in workflows/checkout/<version>.trace.json; a
 * change there fails here. A new branch (one added to test/support/checkout-branches.ts) is
 * recorded once by running this test with CHECKOUT_TRACE_ADD=1; a recorded branch is never
 * rewritten.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkoutV2 } from '../../workflows/checkout/v2';
import { checkoutV3 } from '../../workflows/checkout/v3';
import { checkoutV4 } from '../../workflows/checkout/v4';
import { CHECKOUT_VERSIONS, CHECKOUT_WORKFLOW, type CheckoutInput } from '../../workflows/checkout/contract';
import { BRANCHES, BRANCHES_V3, BRANCHES_V4, input, type Branch } from '../support/checkout-branches';
import { driveWorkflow } from '../support/fake-workflow';

type Recorded = { workflow: string; branches: Record<string, string[]> };
type Version = { workflow: typeof checkoutV2; branches: Record<string, Branch & { input?: CheckoutInput }> };

/** v1 predates the fixtures (its last instances ended long ago; it is still registered for replay). */
const VERSIONS: Record<string, Version> = {
  'checkout.v2': { workflow: checkoutV2, branches: BRANCHES },
  'checkout.v3': { workflow: checkoutV3, branches: BRANCHES_V3 },
  'checkout.v4': { workflow: checkoutV4, branches: BRANCHES_V4 },
};

const fixtureOf = (name: string) => join(__dirname, `../../workflows/checkout/${name.replace('checkout.', '')}.trace.json`);
const read = (name: string) => JSON.parse(readFileSync(fixtureOf(name), 'utf8')) as Recorded;

test('v4 is the latest registered version, and each traced version is registered', () => {
  expect(CHECKOUT_WORKFLOW).toBe('checkout.v4');
  expect(CHECKOUT_VERSIONS[CHECKOUT_VERSIONS.length - 1]).toBe(CHECKOUT_WORKFLOW);
  for (const name of Object.keys(VERSIONS)) {
    expect(CHECKOUT_VERSIONS).toContain(name);
    expect(read(name).workflow).toBe(name);
  }
});

describe.each(Object.keys(VERSIONS))('%s', (name) => {
  const version = VERSIONS[name]!;
  const recorded = read(name);
  const changed = `the yield sequence of ${name} changed: register a new version and keep ${name}`;

  test.each(Object.keys(version.branches))('branch %s yields what was recorded', async (branchName) => {
    const b = version.branches[branchName]!;
    const { trace } = await driveWorkflow(version.workflow, b.input ?? input, { instanceId: b.instanceId, script: b.script, wait: b.wait });
    const before = recorded.branches[branchName];
    if (!before && process.env.CHECKOUT_TRACE_ADD === '1') {
      const now = read(name);
      now.branches[branchName] = trace;
      writeFileSync(fixtureOf(name), `${JSON.stringify(now, null, 2)}\n`);
      return;
    }
    if (!before) throw new Error(`branch ${branchName} has no recorded yield sequence: record it with CHECKOUT_TRACE_ADD=1 (new branches only)`);
    if (JSON.stringify(trace) !== JSON.stringify(before)) {
      throw new Error(`${changed} (branch ${branchName})\nrecorded: ${before.join(', ')}\nnow:      ${trace.join(', ')}`);
    }
  });

  test('every recorded branch is still run (a branch gone is a changed sequence too)', () => {
    const gone = Object.keys(recorded.branches).filter((b) => !(b in version.branches));
    if (gone.length) throw new Error(`${changed} (branches no longer run: ${gone.join(', ')})`);
  });
});

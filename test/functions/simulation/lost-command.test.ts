/**
 * Invariant 9, in the simulation: a reconciler that acknowledges an operator command without recording it
 * (here `approve`, answered "done" while the state is left as it was) is reported — and the real one,
 * whose approvals the simulation acknowledges in the same way, is not.
 */
import type * as Commands from '../../../functions/lifecycle/commands';
import { simulate } from '../../../functions/simulation/simulate';
import { POOL, testPairs } from '../lifecycle/helpers';

jest.setTimeout(60_000);

const dropApprove = { enabled: false, dropped: 0 };

jest.mock('../../../functions/lifecycle/commands', () => {
  const actual = jest.requireActual<typeof Commands>('../../../functions/lifecycle/commands');
  return {
    ...actual,
    applyCommand: (...args: Parameters<typeof actual.applyCommand>) => {
      const result = actual.applyCommand(...args);
      const [, state, , , command] = args;
      if (!dropApprove.enabled || command.action !== 'approve' || !result.done) return result;
      dropApprove.dropped += 1;
      return { ...result, state };
    },
  };
});

/** Four route53 domains for 5 days: the fourth has `activation: manual`, so the operators approve. */
const run = () =>
  simulate({ domains: 4, days: 5, dnsMode: 'route53', faults: 0, seed: 3, keyPairs: testPairs(POOL + 2) });

describe('an acknowledged operator command that is not recorded', () => {
  afterEach(() => {
    dropApprove.enabled = false;
  });

  it('is reported as a violation of invariant 9', async () => {
    dropApprove.enabled = true;
    const report = await run();
    expect(dropApprove.dropped).toBeGreaterThan(0);
    expect(report.violations.byInvariant['9']).toBeGreaterThan(0);
    expect(report.violations.sample).toContainEqual(
      expect.objectContaining({
        invariant: 9,
        message: expect.stringMatching(
          /operator command approve issued at .* was acknowledged but is not in the recorded history/,
        ),
      }),
    );
  });

  it('while the real approvals are acknowledged, recorded and counted', async () => {
    const report = await run();
    expect(report.violations.total).toBe(0);
    expect(report.rotations.firstActivations).toBe(4);
    // Every write, plus each approval checked when acknowledged and again at the end.
    expect(report.checks[9]).toBeGreaterThan(report.checks[5]);
  });
});

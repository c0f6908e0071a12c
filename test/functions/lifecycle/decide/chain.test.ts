/**
 * The chain as a whole: each policy acts in its own situation (so every other table starts from a known
 * situation), a domain with nothing to do is idle until its next rotation, and `decide` never changes its
 * inputs (they are frozen for every case).
 */
import { ACTING } from './acting';
import { DAY_MS, running } from './world';

describe('decide', () => {
  it.each(Object.keys(ACTING))('lets %s act in the situation it is for', (policy) => {
    expect(ACTING[policy]!().decide().decision.policy).toBe(policy);
  });

  it('is idle on a healthy domain and asks to run again when the next rotation is due', () => {
    const { decision, state } = running('route53').decide();
    expect(decision).toEqual({
      policy: 'idle',
      message: expect.stringMatching(/next rotation of mail-20251101-1/),
      next: state,
      actions: [],
      // activated 59 days ago; rotation at 180 − 30 days
      requeueAfterMs: 91 * DAY_MS,
    });
  });
});

import * as publicApi from '../../constructs';

describe('constructs/index.ts: what another team’s stack imports', () => {
  it('exports the constructs', () => {
    expect(publicApi).toEqual(
      expect.objectContaining({
        ByodkimDomain: expect.any(Function),
        KeyStoreKey: expect.any(Function),
      }),
    );
  });

  it('exports the domain spec, its one resolver, the domain rules and the name rules from core', () => {
    expect(publicApi).toEqual(
      expect.objectContaining({
        resolveDomainSpec: expect.any(Function),
        checkDomainSpec: expect.any(Function),
        domainSpecViolations: expect.any(Function),
        emailProblem: expect.any(Function),
        domainProblem: expect.any(Function),
        toALabel: expect.any(Function),
        DEFAULTS: expect.any(Object),
      }),
    );
  });

  it('does not export ByodkimStack, which reads this repository’s env files', () => {
    expect(publicApi).not.toHaveProperty('ByodkimStack');
  });
});

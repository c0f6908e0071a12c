/** A valid environment input, fresh for each call so a test can break one field of it. */
import type { EnvironmentInput } from '../../envs/schema';

export function validEnvironment(): EnvironmentInput {
  return {
    project: 'byodkim',
    environment: 'prod',
    aws: { accountId: '111111111111', region: 'ap-northeast-1' },
    backend: { bucket: 'byodkim-tfstate-111111111111' },
    tags: { CostCenter: 'mail-platform' },
    notifications: { emails: ['dkim-ops@example.com'] },
    domains: [
      { domain: 'example.com', dns: { kind: 'external', contacts: ['dns-team@example.com'] } },
      { domain: 'example.net', dns: { kind: 'route53', hostedZoneId: 'Z0123456789ABCDEFGHIJ' } },
      {
        domain: 'example.org',
        dns: { kind: 'delegated', zoneName: 'dkim.example.net', contacts: ['dns@example.org'] },
      },
    ],
  };
}

/** A mutable copy, for tests that write wrong types on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

export function brokenEnvironment(breakIt: (env: Loose) => void): unknown {
  const env: Loose = structuredClone(validEnvironment());
  breakIt(env);
  return env;
}

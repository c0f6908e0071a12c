/**
 * An environment file with `monitoring.canary` turned on, through ByodkimStack: the canary is deployed in
 * the stack (its Lambda, the receiving side in the configured region, its alarms on the suite's topic), the
 * security pack finds nothing in it, and the stack without the block has none of it.
 */
import { Testing } from 'cdktf';
import { ByodkimStack } from '../main';
import { parseEnvironment } from '../envs/load';
import { checkTerraform, formatFinding, type Json } from '../constructs/security';
import { LAMBDA_ENV } from '../functions/core/contract';
import { validEnvironment } from './envs/fixtures';
import { synthStack } from './constructs/synth';

const input = {
  ...validEnvironment(),
  environment: 'probe',
  monitoring: {
    canary: {
      receivingDomain: 'dkim-canary.example.net',
      receivingRegion: 'us-west-2' as const,
      receivingHostedZoneId: 'Z0123456789ABCDEFGHIJ',
      domains: ['example.com'],
    },
  },
};
const { config } = parseEnvironment({ file: 'envs/probe.ts', input });
const stack = new ByodkimStack(Testing.app(), ByodkimStack.stackName('probe'), { config });
const { json } = synthStack(stack);
const resources = (type: string): Json[] => Object.values(json.resource[type] ?? {});

describe('ByodkimStack with monitoring.canary', () => {
  it('deploys the canary for the listed domains, receiving in the configured region', () => {
    expect(stack.monitoring.canary?.domains.map((d) => d.domain)).toEqual(['example.com']);
    const fn = resources('aws_lambda_function').find((f) => f.function_name === 'byodkim-probe-dkim-canary');
    expect(fn.environment.variables[LAMBDA_ENV.canaryBucketRegion]).toBe('us-west-2');
    expect(JSON.parse(fn.environment.variables[LAMBDA_ENV.canaryTargets])).toEqual([
      { domain: 'example.com', configurationSet: expect.any(String) },
    ]);
    expect(resources('aws_ses_receipt_rule').map((r) => r.region)).toEqual(['us-west-2']);
    expect(
      resources('aws_cloudwatch_metric_alarm')
        .map((a) => a.alarm_name)
        .filter((name: string) => name.includes('canary'))
        .sort(),
    ).toEqual(['byodkim-probe-dkim-canary-failed', 'byodkim-probe-dkim-canary-silent']);
  });

  it('passes the security pack', () => {
    expect(checkTerraform(json).findings.map(formatFinding)).toEqual([]);
  });
});

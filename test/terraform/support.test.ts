/**
 * The Terraform test support's own rules, without running Terraform: a missing mirror fails with what to
 * install (never a skip), the copy for the emulator refuses a resource type whose service it does not know
 * (so nothing reaches for real AWS), and the proxy's corrections of moto's SES v2 and SQS answers.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  correctConfigurationSet,
  RedriveAllowPolicies,
  withoutRedriveAllowPolicy,
} from '../support/moto-terraform-proxy';
import {
  cliConfig,
  diagnosticsByStack,
  endpointForType,
  findProviderMirror,
  pointAtMoto,
  relaxForMirror,
  terraformPlatform,
  type StackJson,
} from '../support/terraform';

const stack = (): StackJson => ({
  terraform: {
    backend: { s3: { bucket: 'b', key: 'k', region: 'ap-northeast-1' } },
    required_providers: { aws: { source: 'aws', version: '6.25.0' } },
  },
  provider: { aws: [{ region: 'ap-northeast-1', allowed_account_ids: ['111111111111'] }] },
  resource: { aws_kms_key: { k: {} }, aws_sesv2_email_identity: { i: { policy: 'Z0ZONE' } } },
  data: { aws_route53_zone: { z: { zone_id: 'Z0ZONE' } }, aws_iam_policy_document: { d: {} } },
});

describe('test support: Terraform', () => {
  it('finds the newest provider version of the first mirror, and names what to install when there is none', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'byodkim-mirror-'));
    try {
      expect(() => findProviderMirror([root])).toThrow(
        new RegExp(
          `registry\\.terraform\\.io/hashicorp/aws/<version>/${terraformPlatform()}/terraform-provider-aws_\\* .*under one of: ${root}`,
        ),
      );
      for (const version of ['5.9.0', '5.100.0']) {
        const dir = path.join(root, 'registry.terraform.io', 'hashicorp', 'aws', version, terraformPlatform());
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, `terraform-provider-aws_v${version}_x5`), '');
      }
      expect(findProviderMirror(['/nonexistent', root])).toEqual({ path: root, version: '5.100.0' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('relaxes the pin and replaces the backend in a copy, leaving the stack as it was', () => {
    const original = stack();
    const relaxed = relaxForMirror(original, { path: '/m', version: '5.100.0' });
    expect(relaxed.terraform.required_providers.aws.version).toBe('5.100.0');
    expect(relaxed.terraform.backend).toEqual({ local: { path: 'terraform.tfstate' } });
    expect(original).toEqual(stack());
    expect(cliConfig({ path: '/m', version: '5.100.0' })).toContain('filesystem_mirror {\n    path    = "/m"');
  });

  it('points every service of the stack at the emulator, allows its account, and refuses an unknown type', () => {
    const moto = pointAtMoto(stack(), {
      endpoint: 'http://127.0.0.1:1',
      accountId: '123456789012',
      replaceIds: { Z0ZONE: 'MOTOZONE' },
    });
    expect(moto.provider.aws[0]).toMatchObject({
      region: 'ap-northeast-1',
      allowed_account_ids: ['123456789012'],
      skip_credentials_validation: true,
      endpoints: [
        {
          kms: 'http://127.0.0.1:1',
          route53: 'http://127.0.0.1:1',
          sesv2: 'http://127.0.0.1:1',
          sts: 'http://127.0.0.1:1',
        },
      ],
    });
    expect(Object.keys((moto.provider.aws[0].endpoints as object[])[0])).toEqual(['kms', 'route53', 'sesv2', 'sts']);
    expect(moto.data?.aws_route53_zone).toEqual({ z: { zone_id: 'MOTOZONE' } });
    expect(endpointForType('aws_iam_role_policy')).toBe('iam');
    expect(endpointForType('aws_iam_policy_document')).toBeNull();
    expect(endpointForType('aws_cloudwatch_log_group')).toBe('logs');
    const unknown = { ...stack(), resource: { aws_appsync_api: { a: {} } } };
    expect(() => pointAtMoto(unknown, { endpoint: 'http://127.0.0.1:1', accountId: '123456789012' })).toThrow(
      'aws_appsync_api: no AWS service known for this type',
    );
  });

  it('hands each stack the diagnostics of the combined validation that name its files: its errors fail it, not the others', () => {
    const stacks = [
      { name: 'byodkim-dev', dir: '/w/cdktf.out/stacks/byodkim-dev' },
      { name: 'byodkim-stg', dir: '/w/cdktf.out/stacks/byodkim-stg' },
    ];
    const at = (filename: string) => ({ filename, start: { line: 1 } });
    const split = diagnosticsByStack(
      {
        valid: false,
        error_count: 2,
        warning_count: 3,
        diagnostics: [
          {
            severity: 'warning',
            summary: 'Backend configuration ignored',
            range: at('../cdktf.out/stacks/byodkim-dev/cdk.tf.json'),
          },
          {
            severity: 'warning',
            summary: 'Backend configuration ignored',
            range: at('../cdktf.out/stacks/byodkim-stg/cdk.tf.json'),
          },
          {
            severity: 'error',
            summary: 'Extraneous JSON object property',
            range: at('../cdktf.out/stacks/byodkim-stg/cdk.tf.json'),
          },
          {
            severity: 'warning',
            summary: 'Deprecated attribute',
            range: at('../cdktf.out/stacks/byodkim-dev/cdk.tf.json'),
          },
          { severity: 'error', summary: 'Module not installed' },
        ],
      },
      '/w/validate',
      stacks,
    );
    expect(
      split.map(({ name, result }) => ({
        name,
        ...result,
        diagnostics: result.diagnostics.map((d) => `${d.severity} ${d.summary} ${d.range?.filename ?? '-'}`),
      })),
    ).toEqual([
      {
        name: 'byodkim-dev',
        valid: false,
        error_count: 1,
        warning_count: 1,
        diagnostics: ['warning Deprecated attribute cdk.tf.json', 'error Module not installed -'],
      },
      {
        name: 'byodkim-stg',
        valid: false,
        error_count: 2,
        warning_count: 0,
        diagnostics: ['error Extraneous JSON object property cdk.tf.json', 'error Module not installed -'],
      },
    ]);
    const clean = diagnosticsByStack(
      { valid: true, error_count: 0, warning_count: 0, diagnostics: [] },
      '/w/validate',
      stacks,
    );
    expect(clean.map(({ result }) => result.valid)).toEqual([true, true]);
  });

  it("corrects moto's SES v2 GetConfigurationSet answer to the shape AWS returns, and nothing else", () => {
    const moto = { ConfigurationSetName: 'c', SendingOptions: { SendingEnabled: { SendingEnabled: true } } };
    expect(JSON.parse(correctConfigurationSet(JSON.stringify(moto))!)).toEqual({
      ConfigurationSetName: 'c',
      SendingOptions: { SendingEnabled: true },
    });
    expect(correctConfigurationSet(JSON.stringify({ SendingOptions: { SendingEnabled: false } }))).toBeUndefined();
    expect(correctConfigurationSet('not json')).toBeUndefined();
  });
  it('adds the RedriveAllowPolicy moto keeps but never returns to GetQueueAttributes answers that asked for it', () => {
    const policies = new RedriveAllowPolicies();
    const url = 'http://127.0.0.1:5000/123456789012/byodkim-dev-dkim-work-dlq';
    const policy =
      '{"redrivePermission":"byQueue","sourceQueueArns":["arn:aws:sqs:ap-northeast-1:123456789012:byodkim-dev-dkim-work"]}';
    const motoAnswer = JSON.stringify({
      Attributes: { QueueArn: 'arn:aws:sqs:ap-northeast-1:123456789012:byodkim-dev-dkim-work-dlq' },
    });
    const ask = (names: string[], queueUrl = url) => JSON.stringify({ QueueUrl: queueUrl, AttributeNames: names });
    // Nothing written yet: nothing to add.
    expect(policies.correct(ask(['All']), motoAnswer)).toBeUndefined();
    policies.written(JSON.stringify({ QueueUrl: url, Attributes: { RedriveAllowPolicy: policy } }));
    expect(JSON.parse(policies.correct(ask(['All']), motoAnswer)!)).toEqual({
      Attributes: {
        QueueArn: 'arn:aws:sqs:ap-northeast-1:123456789012:byodkim-dev-dkim-work-dlq',
        RedriveAllowPolicy: policy,
      },
    });
    // The provider may spell the queue's host differently: the queue is its name.
    expect(
      policies.correct(
        ask(['RedriveAllowPolicy'], 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/byodkim-dev-dkim-work-dlq'),
        motoAnswer,
      ),
    ).toContain('redrivePermission');
    // Not asked for, another queue, or already in moto's answer: unchanged.
    expect(policies.correct(ask(['QueueArn']), motoAnswer)).toBeUndefined();
    expect(policies.correct(ask(['All'], `${url}-other`), motoAnswer)).toBeUndefined();
    expect(
      policies.correct(ask(['All']), JSON.stringify({ Attributes: { RedriveAllowPolicy: '{}' } })),
    ).toBeUndefined();
    // Removed (an empty value, as the provider deletes it): no longer added; CreateQueue's attributes count too.
    policies.written(JSON.stringify({ QueueUrl: url, Attributes: { RedriveAllowPolicy: '' } }));
    expect(policies.correct(ask(['All']), motoAnswer)).toBeUndefined();
    policies.written(
      JSON.stringify({ QueueName: 'byodkim-dev-dkim-work-dlq', Attributes: { RedriveAllowPolicy: policy } }),
    );
    expect(policies.correct(ask(['All']), motoAnswer)).toContain('byQueue');
    expect(policies.correct('not json', motoAnswer)).toBeUndefined();
  });
  it('asks moto for everything but RedriveAllowPolicy (it refuses the name), and answers that one itself', () => {
    const url = 'http://127.0.0.1:5000/123456789012/dlq';
    const ask = (names: string[]) => JSON.stringify({ QueueUrl: url, AttributeNames: names });
    expect(JSON.parse(withoutRedriveAllowPolicy(ask(['RedriveAllowPolicy']))!)).toEqual({
      QueueUrl: url,
      AttributeNames: ['QueueArn'],
    });
    expect(JSON.parse(withoutRedriveAllowPolicy(ask(['RedriveAllowPolicy', 'Policy']))!).AttributeNames).toEqual([
      'Policy',
    ]);
    expect(withoutRedriveAllowPolicy(ask(['All']))).toBeUndefined();
    const motoAnswer = JSON.stringify({ Attributes: { QueueArn: 'arn:aws:sqs:ap-northeast-1:123456789012:dlq' } });
    const policies = new RedriveAllowPolicies();
    // Asked alone and never written: SQS answers with no attributes (the stand-in QueueArn removed).
    expect(JSON.parse(policies.correct(ask(['RedriveAllowPolicy']), motoAnswer)!)).toEqual({ Attributes: {} });
    policies.written(
      JSON.stringify({ QueueUrl: url, Attributes: { RedriveAllowPolicy: '{"redrivePermission":"allowAll"}' } }),
    );
    expect(JSON.parse(policies.correct(ask(['RedriveAllowPolicy']), motoAnswer)!)).toEqual({
      Attributes: { RedriveAllowPolicy: '{"redrivePermission":"allowAll"}' },
    });
  });
});

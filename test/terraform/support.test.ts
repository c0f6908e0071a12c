/**
 * The Terraform test support's own rules, without running Terraform: a missing mirror fails with what to
 * install (never a skip), the copy for the emulator refuses a resource type whose service it does not know
 * (so nothing reaches for real AWS), and the proxy's correction of moto's SES v2 answer.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { correctConfigurationSet } from '../support/moto-terraform-proxy';
import {
  cliConfig,
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

  it("corrects moto's SES v2 GetConfigurationSet answer to the shape AWS returns, and nothing else", () => {
    const moto = { ConfigurationSetName: 'c', SendingOptions: { SendingEnabled: { SendingEnabled: true } } };
    expect(JSON.parse(correctConfigurationSet(JSON.stringify(moto))!)).toEqual({
      ConfigurationSetName: 'c',
      SendingOptions: { SendingEnabled: true },
    });
    expect(correctConfigurationSet(JSON.stringify({ SendingOptions: { SendingEnabled: false } }))).toBeUndefined();
    expect(correctConfigurationSet('not json')).toBeUndefined();
  });
});

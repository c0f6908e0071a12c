import { Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Sesv2EmailIdentity } from '@cdktf/provider-aws/lib/sesv2-email-identity';
import { ByodkimDomain } from '../constructs';
import { ByodkimStack } from '../main';
import { environments } from '../envs';
import devInput from '../envs/dev';
import { loadEnvironments } from '../envs/load';
import { allKeys, synthStack, type Synthesized } from './constructs/synth';

const loaded = loadEnvironments(environments).environments;

function stackOf(environment: string): { stack: ByodkimStack } & Synthesized {
  const config = loaded.find((e) => e.config.environment === environment)?.config;
  if (!config) throw new Error(`no environment ${environment}`);
  const stack = new ByodkimStack(Testing.app(), ByodkimStack.stackName(environment), { config });
  return { stack, ...synthStack(stack) };
}

const prod = stackOf('prod');

describe('ByodkimStack: provider', () => {
  it('pins the region', () => {
    expect(prod.text).toHaveProviderWithProperties(AwsProvider, { region: 'ap-northeast-1' });
  });

  it('refuses every account but the environment’s', () => {
    expect(prod.text).toHaveProviderWithProperties(AwsProvider, { allowed_account_ids: ['333333333333'] });
  });

  it('tags every resource with project, environment, tool and the configured tags', () => {
    expect(prod.text).toHaveProviderWithProperties(AwsProvider, {
      default_tags: [
        {
          tags: {
            CostCenter: 'mail-platform',
            Owner: 'mail-ops',
            Project: 'byodkim',
            Environment: 'prod',
            ManagedBy: 'cdktf',
          },
        },
      ],
    });
  });
});

describe('ByodkimStack: state backend', () => {
  const s3 = prod.json.terraform.backend.s3;

  it('stores state in the environment’s bucket under its own key', () => {
    expect(s3).toMatchObject({ bucket: 'byodkim-tfstate-333333333333', key: 'byodkim/prod/terraform.tfstate' });
  });

  it('uses the environment’s region for the bucket', () => {
    expect(s3.region).toBe('ap-northeast-1');
  });

  it('encrypts the state', () => {
    expect(s3.encrypt).toBe(true);
  });

  it('locks the state with an S3 lock file (use_lockfile, set by override)', () => {
    expect(s3.use_lockfile).toBe(true);
  });

  it('requires a Terraform that knows S3 lock files', () => {
    expect(prod.json.terraform.required_version).toBe('>= 1.10.0');
  });

  it('gives every environment its own state key', () => {
    const keys = ['dev', 'stg', 'prod'].map((env) => stackOf(env).json.terraform.backend.s3.key);
    expect(keys).toEqual([
      'byodkim/dev/terraform.tfstate',
      'byodkim/stg/terraform.tfstate',
      'byodkim/prod/terraform.tfstate',
    ]);
  });
});

describe('ByodkimStack: domains and the key store key', () => {
  it('creates one ByodkimDomain per configured domain, with the domain as construct id', () => {
    expect(prod.stack.domains.map((d) => d.node.id)).toEqual(['example.com', 'example.net', 'example.org']);
    expect(prod.stack.domains.every((d) => d instanceof ByodkimDomain)).toBe(true);
    expect(Object.keys(prod.json.resource.aws_sesv2_email_identity)).toHaveLength(3);
  });

  it('shares one key store key among all domains', () => {
    // Three keys in all: the key store key, the rotation's messaging key (queues and the operator topic) and
    // the monitoring's own key (its alarm topic and logs: the watcher shares no key with what it watches).
    expect(Object.values(prod.json.resource.aws_kms_alias).map((a) => (a as { name: string }).name)).toEqual([
      'alias/byodkim-prod-key-store',
      'alias/byodkim-prod-dkim-messaging',
      'alias/byodkim-prod-dkim-monitoring',
    ]);
    expect(prod.stack.domains.every((d) => d.encryptionKey === prod.stack.keyStoreKey)).toBe(true);
  });

  it('names the key alias after project and environment', () => {
    expect(prod.stack.keyStoreKey.aliasName).toBe('alias/byodkim-prod-key-store');
  });

  it('takes the KMS deletion window from the environment settings', () => {
    const [key] = Object.values(stackOf('dev').json.resource.aws_kms_key) as { deletion_window_in_days: number }[];
    expect(key.deletion_window_in_days).toBe(7);
  });

  it('protects identities in prod, not in dev', () => {
    expect(prod.text).toHaveResourceWithProperties(Sesv2EmailIdentity, {
      email_identity: 'example.com',
      lifecycle: expect.objectContaining({ prevent_destroy: true }),
    });
    expect(stackOf('dev').text).toHaveResourceWithProperties(Sesv2EmailIdentity, {
      email_identity: 'dev.example.com',
      lifecycle: expect.objectContaining({ prevent_destroy: false }),
    });
  });

  it('prefixes configuration set names with project and environment', () => {
    expect(prod.stack.domains.map((d) => d.configurationSetName)).toEqual([
      'byodkim-prod-example-com',
      'byodkim-prod-example-net',
      'byodkim-prod-example-org',
    ]);
  });

  it('hands every domain its lifecycle spec from the environment file', () => {
    expect(prod.stack.domains[0].spec).toEqual({
      domain: 'example.com',
      selectorPrefix: 'mail-prod',
      keyBits: 2048,
      dns: { kind: 'external', contacts: ['dns-team@example.com'], locale: 'ja', leadTimeDays: 14 },
      rotation: { intervalDays: 180, renewBeforeDays: 30, graceDays: 7, activation: 'manual' },
    });
  });

  it.each(['dev', 'stg', 'prod'])('hands every %s domain its DomainSpec whole, unchanged', (environment) => {
    const { stack } = stackOf(environment);
    expect(stack.domains.map((d) => d.spec)).toEqual(stack.config.domains.map(({ tlsPolicy: _tls, ...spec }) => spec));
  });

  it('gives a domain without selectorPrefix the same spec from an env file as from ByodkimDomain with the stack’s namePrefix', () => {
    const dev = loaded.find((e) => e.config.environment === 'dev')!.config;
    const given = devInput.domains[1];
    expect(given.selectorPrefix).toBeUndefined();
    const direct = new ByodkimDomain(new TerraformStack(Testing.app(), 'direct'), 'x', {
      domain: given.domain,
      dns: given.dns as ConstructorParameters<typeof ByodkimDomain>[2]['dns'],
      namePrefix: 'byodkim-dev',
    });
    const { tlsPolicy: _tls, ...fromEnv } = dev.domains[1];
    expect(fromEnv.selectorPrefix).toBe('byodkim-dev');
    expect(direct.spec).toEqual(fromEnv);
  });

  it('runs one DkimRotationSchedule for all the environment’s domains, on the environment’s schedule', () => {
    expect(prod.stack.rotation.specItems).toEqual(
      Object.fromEntries(prod.stack.domains.map((d) => [d.domain, expect.anything()])),
    );
    const [schedule] = Object.values(prod.json.resource.aws_scheduler_schedule) as Record<string, unknown>[];
    expect(schedule).toMatchObject({
      schedule_expression: 'cron(0 0/6 * * ? *)',
      schedule_expression_timezone: 'Asia/Tokyo',
    });
    expect(prod.stack.rotation.dnsTeamSender).toBe('byodkim@example.com');
  });

  it('takes the log retention and deletion protection of the environment', () => {
    const dev = stackOf('dev').json;
    const groups = Object.values(dev.resource.aws_cloudwatch_log_group) as { retention_in_days: number }[];
    // planner, worker, monitor, report.
    expect(groups.map((g) => g.retention_in_days)).toEqual([7, 7, 7, 7]);
    const [table] = Object.values(dev.resource.aws_dynamodb_table) as { deletion_protection_enabled: boolean }[];
    expect(table.deletion_protection_enabled).toBe(false);
  });

  it('outputs the key store key ARN', () => {
    expect(prod.json.output.key_store_key_arn.value).toMatch(/^\$\{aws_kms_key\.\w+\.arn\}$/);
  });
});

describe('synthesized environments', () => {
  // The bundles' hashes change with every change to the Lambda code: the snapshot shows where they go, and
  // test/scripts/bundle.test.ts that they are the zips' SHA-256.
  const withoutBundleHashes = (json: Synthesized['json']) => {
    for (const fn of Object.values(json.resource.aws_lambda_function ?? {}) as Record<string, unknown>[]) {
      fn.source_code_hash = '<base64 sha256 of the bundle>';
      fn.filename = String(fn.filename).replace(/\/[0-9a-f]{64}\//, '/<sha256 of the bundle>/');
    }
    return json;
  };

  it.each(['dev', 'stg', 'prod'])('byodkim-%s matches its snapshot', (environment) => {
    expect(withoutBundleHashes(stackOf(environment).json)).toMatchSnapshot();
  });

  it.each(['dev', 'stg', 'prod'])('byodkim-%s contains no DKIM private key field', (environment) => {
    const { json, text } = stackOf(environment);
    const keys = [...allKeys(json)];
    expect(keys.filter((k) => /private|signing_private|domain_signing/i.test(k))).toEqual([]);
    expect(keys).not.toContain('dkim_signing_attributes');
    expect(text).not.toMatch(/PRIVATE KEY|DomainSigningPrivateKey|domain_signing_private_key/);
  });
});

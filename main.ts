/**
 * The CDKTF app: one stack per environment (`byodkim-dev`, `byodkim-stg`, `byodkim-prod`), each built
 * from its validated `envs/<env>.ts`. An invalid environment prints what is wrong — file, field, rule,
 * value — and exits 1, never with a stack trace. The output directory is cdktf.json's `output`
 * (`cdktf.out`), or `CDKTF_OUTDIR` when set.
 *
 * {@link ByodkimStack} lives here, not in `constructs/`: it knows this repository's env-file format, while
 * the constructs are what another team's stack imports (`constructs/index.ts`).
 */
import { App, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import {
  addSecurityChecks,
  ByodkimDomain,
  CHATBOT_LOG_REGION,
  DkimRotationSchedule,
  KeyStoreKey,
  MonitoringSuite,
} from './constructs';
import { environments } from './envs';
import { EnvironmentConfigError, loadEnvironments, type EnvironmentSource } from './envs/load';
import type { EnvironmentConfig } from './envs/schema';
import { environmentNamePrefix } from './functions/core/resource-names';

/** Where the stack manages an AWS Chatbot (Slack) channel: the service's API is not in every region. */
export const CHATBOT_API_REGION = 'us-east-2';

/** The Terraform version the synthesized configuration needs (S3 lock files arrived in 1.10). */
export const REQUIRED_TERRAFORM_VERSION = '>= 1.10.0';

export interface ByodkimStackProps {
  /** The validated environment (see `envs/schema.ts` and `envs/load.ts`). */
  readonly config: EnvironmentConfig;
}

/**
 * ByodkimStack: one environment's stack (`byodkim-<env>`), built from a validated environment file.
 *
 * - The AWS provider, pinned to the environment's region and allowed accounts, with default tags.
 * - The S3 state backend: one key per environment, encrypted, locked with S3's lock file
 *   (`use_lockfile`, Terraform ≥ 1.10; cdktf 0.21 has no field for it, so it is set by override).
 * - The environment's key store key, shared by all domains, and one {@link ByodkimDomain} per domain,
 *   given the domain's DomainSpec whole, whose construct id is the domain's A-label (reordering domains
 *   changes nothing in Terraform). `namePrefix` is `<project>-<environment>`, the same default
 *   selectorPrefix the env file's domains get.
 * - The key manager ({@link DkimRotationSchedule}) for all the environment's domains, on the environment's
 *   schedule, with its log retention and deletion protection.
 * - The monitoring ({@link MonitoringSuite}): the read-only monitor, the monthly report, the alarm topic
 *   (its own KMS key; e-mail, optional Slack), the environment's alarms and dashboard, from the env file's
 *   `monitoring` block and the notification locale.
 * - The security pack ({@link addSecurityChecks}, docs/security.md) as a synth validation: `npm run synth`
 *   fails on a finding, naming the rule, the Terraform address and why.
 */
export class ByodkimStack extends TerraformStack {
  /** The stack name for an environment: `byodkim-<env>`. */
  public static stackName(environment: string): string {
    return `byodkim-${environment}`;
  }

  public readonly config: EnvironmentConfig;
  public readonly provider: AwsProvider;
  public readonly keyStoreKey: KeyStoreKey;
  /** One per configured domain, in the configuration's order. */
  public readonly domains: readonly ByodkimDomain[];
  /** The key manager: schedule, planner, work queue, workers, state table. */
  public readonly rotation: DkimRotationSchedule;
  /** The monitor, the report, the alarm topic, the alarms and the dashboard. */
  public readonly monitoring: MonitoringSuite;

  constructor(scope: Construct, id: string, props: ByodkimStackProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    const namePrefix = environmentNamePrefix(config.project, config.environment);

    this.provider = new AwsProvider(this, 'aws', {
      region: config.aws.region,
      allowedAccountIds: [...config.aws.allowedAccountIds],
      defaultTags: [
        {
          tags: {
            ...config.tags,
            Project: config.project,
            Environment: config.environment,
            ManagedBy: 'cdktf',
          },
        },
      ],
    });

    new S3Backend(this, {
      bucket: config.backend.bucket,
      key: config.backend.key,
      region: config.backend.region,
      encrypt: true,
      ...(config.backend.kmsKeyId !== undefined ? { kmsKeyId: config.backend.kmsKeyId } : {}),
    });
    this.addOverride('terraform.backend.s3.use_lockfile', true);
    this.addOverride('terraform.required_version', REQUIRED_TERRAFORM_VERSION);

    this.keyStoreKey = KeyStoreKey.ofStack(this, {
      alias: `alias/${namePrefix}-key-store`,
      deletionWindowInDays: config.settings.kmsDeletionWindowDays,
      deletionProtection: config.settings.deletionProtection,
      accountId: config.aws.accountId,
      region: config.aws.region,
    });

    // Each domain is a resolved DomainSpec (plus its TLS policy), handed over whole: the construct
    // resolves it again, which changes nothing, so `domains[i].spec` is the env file's spec.
    this.domains = config.domains.map(
      (domain) =>
        new ByodkimDomain(this, domain.domain, {
          ...domain,
          encryptionKey: this.keyStoreKey,
          namePrefix,
          deletionProtection: config.settings.deletionProtection,
        }),
    );

    this.rotation = new DkimRotationSchedule(this, 'DkimRotation', {
      domains: this.domains,
      environment: config.environment,
      keyStoreKey: this.keyStoreKey,
      namePrefix,
      scheduleExpression: config.schedule.expression,
      scheduleTimeZone: config.schedule.timeZone,
      workerMaxConcurrency: config.schedule.workerMaxConcurrency,
      logRetentionDays: config.settings.logRetentionDays,
      operatorEmails: config.notifications.emails,
      dnsTeamSender: config.notifications.sender,
      deletionProtection: config.settings.deletionProtection,
      accountId: config.aws.accountId,
      region: config.aws.region,
    });

    // AWS Chatbot's API answers in a few regions only (not ap-northeast-1): its channel is managed from us-east-2.
    const chatbotProvider =
      config.monitoring.slack !== undefined
        ? new AwsProvider(this, 'chatbot', {
            alias: 'chatbot',
            region: CHATBOT_API_REGION,
            allowedAccountIds: [...config.aws.allowedAccountIds],
            defaultTags: this.provider.defaultTags,
          })
        : undefined;
    // Chatbot writes the channel's logs in us-east-1, whichever region manages it: the log group is declared there.
    const chatbotLogsProvider =
      config.monitoring.slack !== undefined
        ? new AwsProvider(this, 'chatbot-logs', {
            alias: 'chatbot-logs',
            region: CHATBOT_LOG_REGION,
            allowedAccountIds: [...config.aws.allowedAccountIds],
            defaultTags: this.provider.defaultTags,
          })
        : undefined;
    this.monitoring = new MonitoringSuite(this, 'Monitoring', {
      rotation: this.rotation,
      domains: this.domains,
      environment: config.environment,
      namePrefix,
      emails: config.monitoring.emails,
      locale: config.notifications.locale,
      monitorSchedule: config.monitoring.schedule,
      reportTimeZone: config.monitoring.reportTimeZone,
      keyManagerSilentMinutes: config.monitoring.keyManagerSilentMinutes,
      monitorMissedRuns: config.monitoring.monitorMissedRuns,
      thresholds: config.monitoring.thresholds,
      ...(config.monitoring.slack !== undefined
        ? { slack: { ...config.monitoring.slack, provider: chatbotProvider, logsProvider: chatbotLogsProvider } }
        : {}),
      ...(config.monitoring.canary !== undefined ? { canary: config.monitoring.canary } : {}),
      logRetentionDays: config.settings.logRetentionDays,
      kmsDeletionWindowDays: config.settings.kmsDeletionWindowDays,
      deletionProtection: config.settings.deletionProtection,
      accountId: config.aws.accountId,
      region: config.aws.region,
    });

    new TerraformOutput(this, 'worker_function_name', {
      description: 'The worker Lambda operators invoke directly (aws lambda invoke, npx byodkim)',
      value: this.rotation.worker.function.functionName,
    });
    new TerraformOutput(this, 'alarm_topic_arn', {
      description: 'The SNS topic of the DKIM alarms, the monitor alerts and the monthly report',
      value: this.monitoring.alarmTopicArn,
    });
    new TerraformOutput(this, 'dashboard_name', {
      description: "The environment's CloudWatch dashboard",
      value: this.monitoring.dashboard.dashboardName,
    });
    new TerraformOutput(this, 'key_store_key_arn', {
      description: 'The KMS key that encrypts the key store (DKIM private keys and lifecycle state)',
      value: this.keyStoreKey.keyArn,
    });

    // `npm run synth` fails on a finding of the security pack (docs/security.md); prod is production.
    addSecurityChecks(this, { production: config.environment === 'prod' });
  }
}

export interface SynthOptions {
  /** Where to write `stacks/<name>/cdk.tf.json`. @default CDKTF_OUTDIR or cdktf.out */
  readonly outdir?: string;
  /** Where problems and warnings go. @default process.stderr */
  readonly stderr?: (line: string) => void;
}

/** Validates the environments and synthesizes their stacks; returns the process exit code. */
export function synthesize(sources: readonly EnvironmentSource[], options: SynthOptions = {}): number {
  const stderr = options.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  let loaded;
  try {
    loaded = loadEnvironments(sources);
  } catch (error) {
    if (error instanceof EnvironmentConfigError) {
      stderr(error.message);
      return 1;
    }
    throw error;
  }
  for (const warning of loaded.warnings) stderr(`warning: ${warning}`);

  const app = new App(options.outdir !== undefined ? { outdir: options.outdir } : {});
  for (const { config } of loaded.environments) {
    new ByodkimStack(app, ByodkimStack.stackName(config.environment), { config });
  }
  app.synth();
  return 0;
}

if (require.main === module) {
  process.exitCode = synthesize(environments);
}

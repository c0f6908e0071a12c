/**
 * The environment configuration: what `envs/<env>.ts` may say, its defaults, and its rules.
 *
 * The zod schema checks shape and types (unknown fields are refused: a misspelt `renewBefore` must not
 * be silently ignored). A domain's defaults and rules are not here but in `functions/core` — shared with
 * the ByodkimDomain construct: `resolveDomainSpec` (core/spec.ts) fills the defaults, and the domain rules
 * (core/domain-rules.ts) check values and cross-field rules, telling a default from a value the file sets.
 * Parsing yields an {@link EnvironmentConfig} whose `domains` are {@link DomainSpec}s, the contract the
 * runtime lifecycle consumes and the stack hands to ByodkimDomain whole.
 */
import { z } from 'zod';
import { emailProblem, toALabel } from '../functions/core/names';
import { ByodkimError } from '../functions/core/errors';
import {
  resolveDomainSpec,
  type DomainSpec,
  type DomainSpecInput,
  type KeyBits,
  type Locale,
} from '../functions/core/spec';
import { checkDomainSpec, type ValueSource } from '../functions/core/domain-rules';
import { schedulePeriodMinutes, silentAfterMinutes } from '../functions/core/schedule-period';

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The key manager's schedule when the file sets none: every 6 hours, UTC, 10 workers at once. */
export const DEFAULT_SCHEDULE = {
  expression: 'cron(0 0/6 * * ? *)',
  timeZone: 'UTC',
  workerMaxConcurrency: 10,
} as const;

/** The monitor's schedule and report time zone when the file sets none. */
export const DEFAULT_MONITORING = {
  schedule: 'rate(1 hour)',
  reportTimeZone: 'Asia/Tokyo',
} as const;

/**
 * The alarms' thresholds: an alarm fires when the environment-wide count reaches its threshold (domains in
 * that state, errors or messages per monitor period). 1 means "any".
 */
export const ALARM_THRESHOLD_NAMES = [
  'dkimUnhealthy',
  'recordProblems',
  'signingDrift',
  'keysOverInterval',
  'keysExpiringNoRotation',
  'dnsRequestsOverdue',
  'keyManagerSilent',
  'keyManagerErrors',
  'deadLetterMessages',
] as const;
export type AlarmThresholdName = (typeof ALARM_THRESHOLD_NAMES)[number];

/** Monitor runs in a row that may be missed before the monitor's heartbeat alarm fires. @default 2 */
export const DEFAULT_MONITOR_MISSED_RUNS = 2;

/** The regions where SES receives mail: the DKIM canary's receiving side lives in one of them. */
export const CANARY_RECEIVING_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'] as const;

/**
 * The DKIM signature canary (docs/canary.md): off unless `monitoring.canary` is present. The fields and
 * defaults are the DkimCanary construct's (constructs/private/dkim-canary.ts), which checks them again.
 */
export interface CanaryConfig {
  /** The domain canary messages are sent to (its MX points at SES receiving in `receivingRegion`). */
  readonly receivingDomain: string;
  /** @default 'us-east-1' */
  readonly receivingRegion?: (typeof CANARY_RECEIVING_REGIONS)[number];
  /** The Route 53 zone of `receivingDomain`: its MX and DKIM records are created there. @default none */
  readonly receivingHostedZoneId?: string;
  /** @default 'canary' */
  readonly recipientLocalPart?: string;
  /** @default 'canary' */
  readonly senderLocalPart?: string;
  /** The domains to check (A-labels, each one of `domains`). @default every domain */
  readonly domains?: readonly string[];
  /** `rate(...)`, 15 minutes to 1 day. @default 'rate(1 hour)' */
  readonly schedule?: string;
  /** @default 300 */
  readonly waitSeconds?: number;
  /** @default 3 */
  readonly messageRetentionDays?: number;
  /** @default 2 */
  readonly missedRuns?: number;
  /** The account's active receipt rule set in `receivingRegion`, to add the canary's rule to. @default none */
  readonly existingRuleSetName?: string;
  /** @default true */
  readonly createReceivingIdentity?: boolean;
  /** @default `<project>-<environment>-dkim-canary-<account>` */
  readonly bucketName?: string;
}

/** Longest silence an alarm can watch: CloudWatch evaluates at most 7 days of periods. */
export const MAX_SILENT_MINUTES = 7 * 24 * 60;

/** Whether `zone` is an IANA time zone this Node.js knows (EventBridge Scheduler takes the same names). */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Tag keys the stack sets itself on every resource (provider default tags). */
export const RESERVED_TAG_KEYS = ['Project', 'Environment', 'ManagedBy'] as const;

const accountId = z.string().regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account id, e.g. 111111111111' });
const region = z
  .string()
  .regex(/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/, { error: 'must be an AWS region name, e.g. ap-northeast-1' });
/** An e-mail address under the one rule the domain rules and the construct use too (core/names). */
const email = z.string().superRefine((address, ctx) => {
  const problem = emailProblem(address);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: address });
});
const locale = z.enum(['ja', 'en']);
const bucket = z.string().regex(/^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
  error: 'must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens',
});
const tagKey = z.string().regex(/^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u, {
  error: 'must be 1-128 letters, digits, spaces or _.:/=+-@ and must not start with "aws:"',
});
const tagValue = z
  .string()
  .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u, { error: 'must be at most 256 letters, digits, spaces or _.:/=+-@' });

const dnsSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('route53'),
    hostedZoneId: z.string(),
  }),
  z.strictObject({
    kind: z.literal('external'),
    contacts: z.array(z.string()),
    locale: locale.optional(),
    leadTimeDays: z.number().optional(),
  }),
  z.strictObject({
    kind: z.literal('delegated'),
    zoneName: z.string(),
    contacts: z.array(z.string()),
    locale: locale.optional(),
    leadTimeDays: z.number().optional(),
  }),
]);

const domainShape = z.strictObject({
  domain: z.string(),
  selectorPrefix: z.string().optional(),
  keyBits: z.number().optional(),
  tlsPolicy: z.enum(['require', 'optional']).optional(),
  dns: dnsSchema,
  rotation: z
    .strictObject({
      intervalDays: z.number().optional(),
      renewBeforeDays: z.number().optional(),
      graceDays: z.number().optional(),
      activation: z.enum(['auto', 'manual']).optional(),
    })
    .optional(),
});

/** What an environment file exports: the input, defaults not yet applied. */
export type EnvironmentInput = z.input<typeof environmentShape>;

/** A domain of an environment: its lifecycle spec plus how its mail is sent. */
export interface EnvironmentDomain extends DomainSpec {
  /** The configuration set's TLS policy. @default 'REQUIRE' */
  readonly tlsPolicy: 'REQUIRE' | 'OPTIONAL';
}

/** A validated environment, every default applied. */
export interface EnvironmentConfig {
  readonly project: string;
  readonly environment: string;
  readonly aws: {
    readonly accountId: string;
    readonly region: string;
    /** @default [accountId] */
    readonly allowedAccountIds: readonly string[];
  };
  readonly backend: {
    readonly bucket: string;
    /** @default `<project>/<environment>/terraform.tfstate` */
    readonly key: string;
    /** @default aws.region */
    readonly region: string;
    /** A KMS key for the state objects. @default S3's own encryption (SSE-S3) */
    readonly kmsKeyId?: string;
  };
  /** Extra tags on every resource. @default {} */
  readonly tags: Readonly<Record<string, string>>;
  readonly notifications: {
    readonly emails: readonly string[];
    /** @default 'ja' */
    readonly locale: Locale;
    /** The address DNS-team change requests are sent from (an SES-verified identity). @default `byodkim@<first domain>` */
    readonly sender: string;
  };
  /** When the key manager runs and how many domains it works on at once. */
  readonly schedule: {
    /** An EventBridge Scheduler expression. @default 'cron(0 0/6 * * ? *)' (every 6 hours) */
    readonly expression: string;
    /** The IANA time zone of `expression`. @default 'UTC' */
    readonly timeZone: string;
    /** Workers reconciling at once (2–1000). @default 10 */
    readonly workerMaxConcurrency: number;
  };
  readonly settings: {
    /** Days CloudWatch keeps the Lambdas' logs. @default 731 (the current operations' requirement) */
    readonly logRetentionDays: number;
    /** Days KMS waits before deleting the key store key. @default 30 */
    readonly kmsDeletionWindowDays: number;
    /** `prevent_destroy` on the identities, zones and the key. @default true */
    readonly deletionProtection: boolean;
  };
  /** The read-only monitor, its alarms, the monthly report and where alarms go. */
  readonly monitoring: {
    /** When the monitor runs: `rate(n minutes|hours)`, 5 minutes to 1 day. @default 'rate(1 hour)' */
    readonly schedule: string;
    /** Who receives alarms and the monthly report. @default notifications.emails */
    readonly emails: readonly string[];
    /** The IANA time zone of the monthly report (the 1st, 09:00). @default 'Asia/Tokyo' */
    readonly reportTimeZone: string;
    /** Minutes without a finished key-manager run before its heartbeat alarm fires. @default 2 schedule periods + 60 */
    readonly keyManagerSilentMinutes: number;
    /** Monitor runs in a row that may be missed before its heartbeat alarm fires (2–24). @default 2 */
    readonly monitorMissedRuns: number;
    /** Alarm thresholds (every one defaults to 1: any domain, error or message). */
    readonly thresholds: Readonly<Record<AlarmThresholdName, number>>;
    /** Alarms also to a Slack channel through AWS Chatbot (the workspace is authorized once in the console). */
    readonly slack?: { readonly workspaceId: string; readonly channelId: string };
    /** The DKIM signature canary (docs/canary.md). @default none (off) */
    readonly canary?: CanaryConfig;
  };
  readonly domains: readonly EnvironmentDomain[];
}

/** What a zod issue of this schema carries besides its message, for envs/load.ts. */
export interface IssueParams {
  /** Whether the value is one the file sets or a default. */
  readonly source: ValueSource;
  /** The values that would pass, when the rule can say. */
  readonly passing?: string;
}

/** The rule part of a names.ts error (`domain "x" must …` → `must …`). */
function problemOf(error: unknown, value: string): string {
  const message = error instanceof ByodkimError ? error.message : String(error);
  const marker = `${JSON.stringify(value)} `;
  const at = message.indexOf(marker);
  return at >= 0 ? message.slice(at + marker.length) : message;
}

/** A domain whose own rules hold, defaults not yet applied: the environment knows its selectorPrefix default. */
interface CheckedDomain {
  readonly input: DomainSpecInput;
  readonly tlsPolicy: EnvironmentDomain['tlsPolicy'];
}

/**
 * Stands in for the default selectorPrefix, `<project>-<environment>`, while a domain's rules run (that
 * default always fits: a valid project and environment make at most 31 letters, digits and hyphens).
 */
const PLACEHOLDER_PREFIX = 'byodkim';

/**
 * One domain, checked against the domain rules with its defaults. Runs even when other parts of the
 * file are wrong, so every problem is reported at once.
 */
const domainSchema = domainShape.transform((given, ctx): CheckedDomain => {
  const issue = (path: (string | number)[], message: string, value: unknown, params?: IssueParams): void => {
    ctx.addIssue({ code: 'custom', path, message, input: value, ...(params ? { params } : {}) });
  };
  // A name that is not one is reported as written, before conversion; the rules then skip it.
  const unconvertible = new Set<string>();
  const convert = (path: string[], name: string): void => {
    try {
      toALabel(name, path.join('.'));
    } catch (error) {
      issue(path, problemOf(error, name), name);
      unconvertible.add(path.join('.'));
    }
  };
  convert(['domain'], given.domain);
  if (given.dns.kind === 'delegated') convert(['dns', 'zoneName'], given.dns.zoneName);

  const { tlsPolicy, keyBits, ...rest } = given;
  const input: DomainSpecInput = { ...rest, ...(keyBits !== undefined ? { keyBits: keyBits as KeyBits } : {}) };
  for (const violation of checkDomainSpec(input, { selectorPrefix: PLACEHOLDER_PREFIX }).violations) {
    if (violation.path[0] === 'domain' || unconvertible.has(violation.path.join('.'))) continue;
    issue([...violation.path], violation.rule, violation.value, {
      source: violation.source,
      ...(violation.passing !== undefined ? { passing: violation.passing } : {}),
    });
  }
  return { input, tlsPolicy: tlsPolicy === 'optional' ? 'OPTIONAL' : 'REQUIRE' };
});

const wholeNumber = (min: number, max: number, unit = '') =>
  z
    .number()
    .int({ error: `must be a whole number${unit} from ${min} to ${max}` })
    .min(min, { error: `must be a whole number${unit} from ${min} to ${max}` })
    .max(max, { error: `must be a whole number${unit} from ${min} to ${max}` });
const localPart = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9._+-]{0,62}[A-Za-z0-9])?$/, {
  error: 'must be an e-mail local part of letters, digits and . _ + -',
});
const aLabelDomain = z.string().superRefine((name, ctx) => {
  try {
    if (toALabel(name) !== name) {
      ctx.addIssue({
        code: 'custom',
        message: `must be written as an A-label in lower case: ${toALabel(name)}`,
        input: name,
      });
    }
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: problemOf(error, name), input: name });
  }
});

/** `monitoring.canary`: the DKIM signature canary (docs/canary.md). */
const canarySchema = z.strictObject({
  receivingDomain: aLabelDomain,
  receivingRegion: z
    .enum(CANARY_RECEIVING_REGIONS, {
      error: `must be a region where SES receives mail: ${CANARY_RECEIVING_REGIONS.join(', ')}`,
    })
    .optional(),
  receivingHostedZoneId: z
    .string()
    .regex(/^Z[A-Z0-9]{1,31}$/, { error: 'must be a Route 53 hosted zone id, e.g. Z0123456789ABCDEFGHIJ' })
    .optional(),
  recipientLocalPart: localPart.optional(),
  senderLocalPart: localPart.optional(),
  domains: z
    .array(aLabelDomain)
    .min(1, { error: 'must name at least one domain (or leave the field out)' })
    .max(50, {
      error: 'must name at most 50 domains: a sample proves the signing path',
    })
    .optional(),
  schedule: z
    .string()
    .refine(
      (expression) => {
        const minutes = /^rate\(/.test(expression) ? schedulePeriodMinutes(expression) : undefined;
        return minutes !== undefined && minutes >= 15 && minutes <= 1440;
      },
      { error: 'must be rate(<n> minutes|hours|days), from 15 minutes to 1 day, e.g. rate(1 hour)' },
    )
    .optional(),
  waitSeconds: wholeNumber(60, 780, ' of seconds').optional(),
  messageRetentionDays: wholeNumber(1, 90, ' of days').optional(),
  missedRuns: wholeNumber(2, 24).optional(),
  existingRuleSetName: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: 'must be an SES receipt rule set name' })
    .optional(),
  createReceivingIdentity: z.boolean().optional(),
  bucketName: bucket.optional(),
});

const environmentShape = z.strictObject({
  project: z.string().regex(/^[a-z][a-z0-9-]{0,18}[a-z0-9]$/, {
    error: 'must be 2-20 lowercase letters, digits and inner hyphens, starting with a letter',
  }),
  environment: z.string().regex(/^[a-z][a-z0-9]{0,9}$/, {
    error: 'must be 1-10 lowercase letters and digits, starting with a letter (dev, stg, prod)',
  }),
  aws: z
    .strictObject({
      accountId,
      region,
      allowedAccountIds: z.array(accountId).min(1).optional(),
    })
    .transform((aws, ctx) => {
      const allowedAccountIds = aws.allowedAccountIds ?? [aws.accountId];
      if (!allowedAccountIds.includes(aws.accountId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['allowedAccountIds'],
          message: `must include aws.accountId (${aws.accountId}), or the provider refuses every plan`,
          input: allowedAccountIds,
        });
      }
      return { accountId: aws.accountId, region: aws.region, allowedAccountIds };
    }),
  backend: z.strictObject({
    bucket,
    key: z
      .string()
      .regex(/^[^/].*\.tfstate$/, { error: 'must be an object key ending in .tfstate, without a leading "/"' })
      .optional(),
    region: region.optional(),
    kmsKeyId: z.string().min(1).optional(),
  }),
  tags: z
    .record(
      tagKey.refine((key) => !(RESERVED_TAG_KEYS as readonly string[]).includes(key), {
        error: `is set by the stack itself (${RESERVED_TAG_KEYS.join(', ')}): remove it`,
      }),
      tagValue,
    )
    .optional(),
  notifications: z.strictObject({
    emails: z.array(email).min(1, { error: 'must name at least one address for alarms and reports' }),
    locale: locale.optional(),
    sender: email.optional(),
  }),
  schedule: z
    .strictObject({
      expression: z
        .string()
        .regex(/^(?:cron|rate|at)\(.+\)$/, {
          error: 'must be an EventBridge Scheduler expression: cron(...), rate(...) or at(...)',
        })
        .optional(),
      timeZone: z
        .string()
        .refine(isTimeZone, { error: 'must be an IANA time zone, e.g. Asia/Tokyo or UTC' })
        .optional(),
      workerMaxConcurrency: z
        .number()
        .int({ error: 'must be a whole number from 2 to 1000' })
        .min(2, { error: 'must be a whole number from 2 to 1000' })
        .max(1000, { error: 'must be a whole number from 2 to 1000' })
        .optional(),
    })
    .optional(),
  settings: z
    .strictObject({
      logRetentionDays: z
        .number()
        .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
          error: `must be a retention CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(', ')}`,
        })
        .optional(),
      kmsDeletionWindowDays: z
        .number()
        .int({ error: 'must be a whole number of days from 7 to 30' })
        .min(7, { error: 'must be a whole number of days from 7 to 30' })
        .max(30, { error: 'must be a whole number of days from 7 to 30' })
        .optional(),
      deletionProtection: z.boolean().optional(),
    })
    .optional(),
  monitoring: z
    .strictObject({
      schedule: z
        .string()
        .refine(
          (expression) => {
            const minutes = /^rate\(/.test(expression) ? schedulePeriodMinutes(expression) : undefined;
            return minutes !== undefined && minutes >= 5 && minutes <= 1440;
          },
          { error: 'must be rate(<n> minutes) or rate(<n> hours), from 5 minutes to 1 day, e.g. rate(1 hour)' },
        )
        .optional(),
      emails: z.array(email).min(1, { error: 'must name at least one address (or leave the field out)' }).optional(),
      reportTimeZone: z
        .string()
        .refine(isTimeZone, { error: 'must be an IANA time zone, e.g. Asia/Tokyo or UTC' })
        .optional(),
      keyManagerSilentMinutes: z
        .number()
        .int({ error: `must be a whole number of minutes from 60 to ${MAX_SILENT_MINUTES}` })
        .min(60, { error: `must be a whole number of minutes from 60 to ${MAX_SILENT_MINUTES}` })
        .max(MAX_SILENT_MINUTES, { error: `must be a whole number of minutes from 60 to ${MAX_SILENT_MINUTES}` })
        .optional(),
      monitorMissedRuns: z
        .number()
        .int({
          error:
            'must be a whole number from 2 to 24 (the period a run is due in has no data until the run ends: 1 would alarm in every period)',
        })
        .min(2, {
          error:
            'must be a whole number from 2 to 24 (the period a run is due in has no data until the run ends: 1 would alarm in every period)',
        })
        .max(24, {
          error:
            'must be a whole number from 2 to 24 (the period a run is due in has no data until the run ends: 1 would alarm in every period)',
        })
        .optional(),
      thresholds: z
        .strictObject(
          Object.fromEntries(
            ALARM_THRESHOLD_NAMES.map((name) => [
              name,
              z
                .number()
                .int({ error: 'must be a whole number from 1 to 10000' })
                .min(1, { error: 'must be a whole number from 1 to 10000' })
                .max(10000, { error: 'must be a whole number from 1 to 10000' })
                .optional(),
            ]),
          ) as Record<AlarmThresholdName, z.ZodOptional<z.ZodNumber>>,
        )
        .optional(),
      slack: z
        .strictObject({
          workspaceId: z.string().regex(/^T[A-Z0-9]{4,20}$/, {
            error: 'must be the Slack workspace (team) id AWS Chatbot shows, e.g. T0123ABCDE',
          }),
          channelId: z.string().regex(/^[CG][A-Z0-9]{4,20}$/, {
            error: 'must be a Slack channel id, e.g. C0123ABCDE (in Slack: channel details, at the bottom)',
          }),
        })
        .optional(),
      canary: canarySchema.optional(),
    })
    .optional(),
  domains: z.array(domainSchema).min(1, { error: 'must list at least one domain' }),
});

/** The environment schema: parse with {@link parseEnvironment} (envs/load.ts) for readable errors. */
export const environmentSchema = environmentShape.transform((input, ctx): EnvironmentConfig => {
  const issue = (path: (string | number)[], message: string, value: unknown): void => {
    ctx.addIssue({ code: 'custom', path, message, input: value });
  };
  const seenDomains = new Map<string, number>();
  const seenZones = new Map<string, number>();
  const selectorPrefix = `${input.project}-${input.environment}`;
  const domains = input.domains.map(({ input: domain, tlsPolicy }, index): EnvironmentDomain => {
    const checked = resolveDomainSpec(domain, { selectorPrefix });
    const earlier = seenDomains.get(checked.domain);
    if (earlier !== undefined) {
      issue(
        ['domains', index, 'domain'],
        `duplicates domains[${earlier}].domain (${checked.domain}): list each domain once`,
        checked.domain,
      );
    } else {
      seenDomains.set(checked.domain, index);
    }
    if (checked.dns.kind === 'delegated') {
      const other = seenZones.get(checked.dns.zoneName);
      if (other !== undefined) {
        issue(
          ['domains', index, 'dns', 'zoneName'],
          `is already the delegated zone of domains[${other}]: each delegated domain needs its own zone`,
          checked.dns.zoneName,
        );
      } else {
        seenZones.set(checked.dns.zoneName, index);
      }
    }
    return { ...checked, tlsPolicy };
  });

  const scheduleExpression = input.schedule?.expression ?? DEFAULT_SCHEDULE.expression;
  const keyManagerPeriod = schedulePeriodMinutes(scheduleExpression);
  const givenSilent = input.monitoring?.keyManagerSilentMinutes;
  const keyManagerSilentMinutes = givenSilent ?? silentAfterMinutes(scheduleExpression) ?? 0;
  if (givenSilent === undefined && (keyManagerPeriod === undefined || keyManagerSilentMinutes > MAX_SILENT_MINUTES)) {
    issue(
      ['monitoring', 'keyManagerSilentMinutes'],
      keyManagerPeriod === undefined
        ? `must be set: the key manager's period cannot be read from schedule.expression (${scheduleExpression})`
        : `must be set: its default (2 periods of schedule.expression + 60 = ${keyManagerSilentMinutes}) exceeds ${MAX_SILENT_MINUTES} minutes, the longest an alarm can watch`,
      givenSilent,
    );
  } else if (givenSilent !== undefined && keyManagerPeriod !== undefined && givenSilent <= keyManagerPeriod) {
    issue(
      ['monitoring', 'keyManagerSilentMinutes'],
      `must exceed the key manager's schedule period (${keyManagerPeriod} minutes), or every pause between runs alarms`,
      givenSilent,
    );
  }
  const canary = input.monitoring?.canary;
  canary?.domains?.forEach((name, index) => {
    if (!seenDomains.has(name)) {
      issue(
        ['monitoring', 'canary', 'domains', index],
        `must be one of this environment's domains (${[...seenDomains.keys()].join(', ')})`,
        name,
      );
    }
  });
  const thresholds = Object.fromEntries(
    ALARM_THRESHOLD_NAMES.map((name) => [name, input.monitoring?.thresholds?.[name] ?? 1]),
  ) as Record<AlarmThresholdName, number>;

  return {
    project: input.project,
    environment: input.environment,
    aws: input.aws,
    backend: {
      bucket: input.backend.bucket,
      key: input.backend.key ?? `${input.project}/${input.environment}/terraform.tfstate`,
      region: input.backend.region ?? input.aws.region,
      ...(input.backend.kmsKeyId !== undefined ? { kmsKeyId: input.backend.kmsKeyId } : {}),
    },
    tags: input.tags ?? {},
    notifications: {
      emails: input.notifications.emails,
      locale: input.notifications.locale ?? 'ja',
      sender: input.notifications.sender ?? `byodkim@${domains[0]?.domain ?? 'invalid'}`,
    },
    schedule: {
      expression: input.schedule?.expression ?? DEFAULT_SCHEDULE.expression,
      timeZone: input.schedule?.timeZone ?? DEFAULT_SCHEDULE.timeZone,
      workerMaxConcurrency: input.schedule?.workerMaxConcurrency ?? DEFAULT_SCHEDULE.workerMaxConcurrency,
    },
    settings: {
      logRetentionDays: input.settings?.logRetentionDays ?? 731,
      kmsDeletionWindowDays: input.settings?.kmsDeletionWindowDays ?? 30,
      deletionProtection: input.settings?.deletionProtection ?? true,
    },
    monitoring: {
      schedule: input.monitoring?.schedule ?? DEFAULT_MONITORING.schedule,
      emails: input.monitoring?.emails ?? input.notifications.emails,
      reportTimeZone: input.monitoring?.reportTimeZone ?? DEFAULT_MONITORING.reportTimeZone,
      keyManagerSilentMinutes,
      monitorMissedRuns: input.monitoring?.monitorMissedRuns ?? DEFAULT_MONITOR_MISSED_RUNS,
      thresholds,
      ...(input.monitoring?.slack !== undefined ? { slack: { ...input.monitoring.slack } } : {}),
      ...(canary !== undefined ? { canary: { ...canary } } : {}),
    },
    domains,
  };
});

/** Types an environment file's export (editor completion, `tsc` checks) without changing it. */
export function defineEnvironment(input: EnvironmentInput): EnvironmentInput {
  return input;
}

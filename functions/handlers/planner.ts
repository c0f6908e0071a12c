/**
 * The planner Lambda, run by the EventBridge Scheduler schedule: lists the configured domains (the SPEC
 * items Terraform wrote) and puts one {@link ReconcileMessage} per domain on the work queue
 * (`SendMessageBatch`, ten at a time; entries SQS refuses are sent once more, then reported). Domains with
 * recorded state but no SPEC item — removed from the configuration — are not enqueued and never torn down:
 * the planner names them in a warning log line (`planner.orphaned-domains`) and reports them to operators on
 * the environment's SNS topic, one notice per run listing them all ({@link orphanNotice}).
 *
 * **Spreading.** The planner does not release the whole fleet at once: every worker would then ask SES and
 * Route 53 at the same moment and be throttled (SES's management API and Route 53's 10 requests/second are
 * per account). It releases domains at `BYODKIM_PLAN_RATE` per second (default {@link DEFAULT_PLAN_RATE}):
 * domain i becomes visible `floor(i / rate)` seconds after the run started, through the message's
 * `DelaySeconds`. SQS delays a message at most 900 s (`BYODKIM_PLAN_WINDOW_SECONDS`, default and maximum
 * {@link SQS_MAX_DELAY_SECONDS}); a domain due later than that is sent when its due time is within the
 * window, the planner waiting in between, as long as its own time allows (the Lambda's remaining time
 * less {@link PLANNER_TIME_MARGIN_MS}). When it does not, the domains still to send are spread evenly over
 * the window from then on, beside those already due in it (never all at once), so one run always enqueues
 * the whole fleet. Small fleets are not delayed at all (the first `rate` domains go at once); at the default rate
 * 7,200 domains fit in the window, 10,000 take 1,250 s (350 s of it waiting in the planner).
 *
 * The scheduled event's content is not used: any invocation plans the whole environment.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { LAMBDA_ENV, type ReconcileMessage } from '../core/contract';
import { ValidationError } from '../core/errors';
import { mapAwsError } from '../adapters/aws-errors';
import { createPlannerRuntime, perContainer, type PlannerRuntime } from './runtime';

/** SQS takes at most ten messages per SendMessageBatch. */
export const SQS_BATCH_SIZE = 10;

/** SQS's longest `DelaySeconds` for one message. */
export const SQS_MAX_DELAY_SECONDS = 900;

/**
 * Domains released per second when `BYODKIM_PLAN_RATE` is unset. A domain with nothing to do costs one SES
 * call (`GetEmailIdentity`), so this is the fleet's steady SES request rate: below the 10 requests/second
 * the fleet bench assumes for SES's management API, leaving room for the domains that do work.
 */
export const DEFAULT_PLAN_RATE = 8;

/** What the planner keeps of its Lambda time for the last batches and the orphan report. */
export const PLANNER_TIME_MARGIN_MS = 30_000;

/** How the planner spreads one run's messages over time. */
export interface SpreadSettings {
  /** Domains released per second (> 0). */
  readonly ratePerSecond: number;
  /** The longest `DelaySeconds` the planner gives a message (0 to {@link SQS_MAX_DELAY_SECONDS}). */
  readonly windowSeconds: number;
}

/** Reads `BYODKIM_PLAN_RATE` and `BYODKIM_PLAN_WINDOW_SECONDS`; a bad value is an error naming it. */
export function readSpreadSettings(env: Readonly<Record<string, string | undefined>>): SpreadSettings {
  const read = (name: string, fallback: number, valid: (n: number) => boolean, expected: string): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw);
    if (!valid(value)) {
      throw new ValidationError('LAMBDA_ENVIRONMENT_INVALID', `${name} must be ${expected}, given "${raw}"`, name);
    }
    return value;
  };
  return {
    ratePerSecond: read(
      LAMBDA_ENV.planRate,
      DEFAULT_PLAN_RATE,
      (n) => Number.isFinite(n) && n > 0,
      'a number of domains per second greater than 0',
    ),
    windowSeconds: read(
      LAMBDA_ENV.planWindowSeconds,
      SQS_MAX_DELAY_SECONDS,
      (n) => Number.isInteger(n) && n >= 0 && n <= SQS_MAX_DELAY_SECONDS,
      `a whole number of seconds from 0 to ${SQS_MAX_DELAY_SECONDS} (SQS's longest message delay)`,
    ),
  };
}

/** How one run may wait between batches (the Lambda handler's; tests and the fleet bench inject theirs). */
export interface PlanOptions {
  readonly spread?: SpreadSettings;
  /** Waits `ms` (the Lambda: a timer). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The clock time (runtime.now()) after which the planner no longer waits; default: never waits. */
  readonly waitUntil?: number;
}

export interface PlannerResult {
  readonly domains: number;
  readonly enqueued: number;
  /** Domains SQS refused twice (the next scheduled run enqueues them again). */
  readonly failed: readonly string[];
  /** Domains with recorded state but no SPEC item: removed from the configuration, kept as they are. */
  readonly orphaned: readonly string[];
  /** Whether operators were told of `orphaned` on the SNS topic this run (`none`: nothing to tell). */
  readonly orphanReport: 'sent' | 'failed' | 'none';
}

/** Domains named in one notice; the rest are counted (SNS takes 256 KB, e-mail readers far less). */
export const ORPHAN_NOTICE_MAX_LISTED = 200;

/**
 * The operators' notice of orphaned domains: an ASCII subject (SNS refuses others) and a bilingual body
 * listing the domains, what was kept and what to do.
 */
export function orphanNotice(environment: string, orphaned: readonly string[]): { subject: string; message: string } {
  const listed = orphaned.slice(0, ORPHAN_NOTICE_MAX_LISTED);
  const more = orphaned.length - listed.length;
  const list = [...listed.map((d) => `- ${d}`), ...(more > 0 ? [`- ... and ${more} more / 他 ${more} 件`] : [])].join(
    '\n',
  );
  const count = orphaned.length;
  return {
    subject: `[byodkim] WARNING ${environment}: ${count} orphaned domain${count === 1 ? '' : 's'} (not configured, kept)`,
    message: [
      `byodkim ${environment}: ${count} domain${count === 1 ? ' has' : 's have'} recorded state but no longer appear in the configuration.`,
      'Nothing was torn down: their keys (Secrets Manager), DNS records and SES signing stay as they are, and the key manager no longer rotates them.',
      'Add them back to the environment file and deploy, or retire them by hand when they are no longer needed.',
      '',
      `byodkim ${environment}: 次の ${count} 件のドメインは状態が記録されていますが、設定から削除されています。`,
      '何も削除していません。鍵 (Secrets Manager)、DNS レコード、SES の署名はそのままで、鍵のローテーションは行われません。',
      '環境ファイルに戻してデプロイするか、不要であれば手作業で廃止してください。',
      '',
      list,
    ].join('\n'),
  };
}

/** Publishes the orphan notice; a failure is logged (the run's messages are already on the queue). */
async function reportOrphans(runtime: PlannerRuntime, orphaned: readonly string[]): Promise<'sent' | 'failed'> {
  const { subject, message } = orphanNotice(runtime.environment, orphaned);
  try {
    await runtime.sns.send(
      new PublishCommand({ TopicArn: runtime.operatorTopicArn, Subject: subject, Message: message }),
    );
    return 'sent';
  } catch (error) {
    const mapped = mapAwsError(error, {
      service: 'SNS',
      action: 'Publish',
      resource: `topic ${runtime.operatorTopicArn}`,
    });
    runtime.logger.log('error', 'planner.orphan-report-failed', { code: mapped.code, message: mapped.message });
    return 'failed';
  }
}

async function sendBatch(runtime: PlannerRuntime, entries: SendMessageBatchRequestEntry[]): Promise<string[]> {
  let pending = entries;
  for (let attempt = 1; attempt <= 2 && pending.length > 0; attempt++) {
    let output;
    try {
      output = await runtime.sqs.send(new SendMessageBatchCommand({ QueueUrl: runtime.queueUrl, Entries: pending }));
    } catch (error) {
      throw mapAwsError(error, { service: 'SQS', action: 'SendMessageBatch', resource: `queue ${runtime.queueUrl}` });
    }
    const failedIds = new Set((output.Failed ?? []).map((f) => f.Id));
    pending = pending.filter((entry) => failedIds.has(entry.Id));
  }
  return pending.map((entry) => (JSON.parse(entry.MessageBody!) as ReconcileMessage).domain);
}

/**
 * The due time (ms after the run's start) of each domain in `count`, released at `ratePerSecond` from
 * `fromIndex` on: `floor((i - fromIndex) / rate)` whole seconds.
 */
function dueMs(i: number, fromIndex: number, ratePerSecond: number): number {
  return Math.floor((i - fromIndex) / ratePerSecond) * 1000;
}

/**
 * Enqueues one message per configured domain, spread over time (see the module's comment): each batch's
 * `DelaySeconds` make domain i visible at its due time; a batch due beyond the window waits until it is
 * within it, or, when the planner's time is up, the rest is spread evenly over the window.
 */
export async function planDomains(runtime: PlannerRuntime, options: PlanOptions = {}): Promise<PlannerResult> {
  const spread = options.spread ?? readSpreadSettings(process.env);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const waitUntil = options.waitUntil ?? -Infinity;
  const windowMs = spread.windowSeconds * 1000;
  const domains = await runtime.specs.listDomains();
  const enqueuedAt = new Date(runtime.now()).toISOString();
  const failed: string[] = [];
  // Releases from `fromIndex` on start at `base` (clock time), at `rate` domains per second.
  let base = runtime.now();
  let fromIndex = 0;
  let rate = spread.ratePerSecond;
  let compressed = false;
  for (let start = 0; start < domains.length; start += SQS_BATCH_SIZE) {
    const slice = domains.slice(start, start + SQS_BATCH_SIZE);
    const lastDue = base + dueMs(start + slice.length - 1, fromIndex, rate);
    const sendFrom = lastDue - windowMs;
    if (sendFrom > runtime.now()) {
      if (sendFrom <= waitUntil) await sleep(sendFrom - runtime.now());
      else {
        // No time left to wait: the rest spread evenly over the window from now, beside what is already
        // due in it (the window then carries rate + rest / window domains per second: the least possible).
        const rest = domains.length - start;
        base = runtime.now();
        fromIndex = start;
        rate = rest / Math.max(1, spread.windowSeconds);
        compressed = true;
      }
    }
    const now = runtime.now();
    const entries = slice.map((domain, i): SendMessageBatchRequestEntry => {
      const message: ReconcileMessage = { kind: 'reconcile', domain, enqueuedAt };
      const delay = Math.ceil((base + dueMs(start + i, fromIndex, rate) - now) / 1000);
      const delaySeconds = Math.min(spread.windowSeconds, Math.max(0, delay));
      return {
        Id: String(i),
        MessageBody: JSON.stringify(message),
        ...(delaySeconds > 0 ? { DelaySeconds: delaySeconds } : {}),
      };
    });
    failed.push(...(await sendBatch(runtime, entries)));
  }
  if (compressed) {
    runtime.logger.log('warn', 'planner.spread-compressed', {
      domains: domains.length,
      ratePerSecond: spread.ratePerSecond,
      windowSeconds: spread.windowSeconds,
      message:
        'the planner ran out of time to release every domain at BYODKIM_PLAN_RATE: the last ones were spread over the window, faster than the rate',
    });
  }
  const configured = new Set(domains);
  const orphaned = (await runtime.states.listDomains()).filter((domain) => !configured.has(domain));
  if (orphaned.length > 0) {
    runtime.logger.log('warn', 'planner.orphaned-domains', {
      orphaned,
      message:
        'these domains have recorded state but are no longer configured: their keys and records are kept; delete them by hand when they are no longer needed',
    });
  }
  const orphanReport: PlannerResult['orphanReport'] =
    orphaned.length > 0 ? await reportOrphans(runtime, orphaned) : 'none';
  if (failed.length > 0) runtime.logger.log('error', 'planner.enqueue-failed', { failed });
  const result = { domains: domains.length, enqueued: domains.length - failed.length, failed, orphaned, orphanReport };
  runtime.logger.log('info', 'planner.done', { ...result, failed: failed.length, orphaned: orphaned.length });
  return result;
}

const runtime = perContainer(() => createPlannerRuntime());

/** The part of the Lambda context the planner uses: how long it may still run. */
interface LambdaContextLike {
  getRemainingTimeInMillis?: () => number;
}

/** The Lambda entry point. Throws (so the scheduler retries) only when the queue or the table cannot be reached. */
export async function handler(_event: unknown, context?: LambdaContextLike): Promise<PlannerResult> {
  const rt = runtime();
  const remaining = context?.getRemainingTimeInMillis?.();
  try {
    return await planDomains(rt, {
      ...(remaining !== undefined ? { waitUntil: rt.now() + remaining - PLANNER_TIME_MARGIN_MS } : {}),
    });
  } finally {
    rt.metrics.flush();
  }
}

/**
 * The planner Lambda, run by the EventBridge Scheduler schedule: lists the configured domains (the SPEC
 * items Terraform wrote) and puts one {@link ReconcileMessage} per domain on the work queue
 * (`SendMessageBatch`, ten at a time; entries SQS refuses are sent once more, then reported). Domains with
 * recorded state but no SPEC item — removed from the configuration — are not enqueued and never torn down:
 * the planner names them in a warning log line (`planner.orphaned-domains`) and reports them to operators on
 * the environment's SNS topic, one notice per run listing them all ({@link orphanNotice}).
 *
 * The scheduled event's content is not used: any invocation plans the whole environment.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { ReconcileMessage } from '../core/contract';
import { mapAwsError } from '../adapters/aws-errors';
import { createPlannerRuntime, perContainer, type PlannerRuntime } from './runtime';

/** SQS takes at most ten messages per SendMessageBatch. */
export const SQS_BATCH_SIZE = 10;

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

/** Enqueues one message per configured domain. */
export async function planDomains(runtime: PlannerRuntime): Promise<PlannerResult> {
  const domains = await runtime.specs.listDomains();
  const enqueuedAt = new Date(runtime.now()).toISOString();
  const failed: string[] = [];
  for (let start = 0; start < domains.length; start += SQS_BATCH_SIZE) {
    const entries = domains.slice(start, start + SQS_BATCH_SIZE).map((domain, i) => {
      const message: ReconcileMessage = { kind: 'reconcile', domain, enqueuedAt };
      return { Id: String(i), MessageBody: JSON.stringify(message) };
    });
    failed.push(...(await sendBatch(runtime, entries)));
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

/** The Lambda entry point. Throws (so the scheduler retries) only when the queue or the table cannot be reached. */
export async function handler(_event: unknown): Promise<PlannerResult> {
  const rt = runtime();
  try {
    return await planDomains(rt);
  } finally {
    rt.metrics.flush();
  }
}

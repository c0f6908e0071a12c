/**
 * The DKIM signature canary Lambda (optional, off by default; deployed by the DkimCanary construct). On
 * its schedule, one invocation does both phases for every canary domain:
 *
 * 1. **Send.** The domain's recorded active selector is read from its STATE item; SES v2 `SendEmail` sends
 *    a message from `<localPart>@<domain>` through the domain's configuration set to the canary recipient
 *    on the receiving domain, with a unique token in the `X-Byodkim-Canary` header and the subject. A domain
 *    with no active byodkim key yet is skipped (logged): there is no recorded selector to hold SES to.
 * 2. **Check.** The SES receipt rule of the receiving region stores each arriving message under the
 *    bucket's prefix (SSE-KMS). The handler lists the objects that arrived since the run started, reads
 *    each new one, matches it to a domain by its token, and has mailauth verify its DKIM-Signature headers
 *    (functions/monitoring/canary.ts): only a passing signature with `d=<domain>` and `s=<recorded active
 *    selector>` passes. A message that passed is deleted; a failing one stays for investigation until the
 *    bucket's lifecycle rule expires it. Domains whose message has not arrived when the wait is over fail as
 *    `not-arrived`.
 *
 * Per run it emits `CanaryRuns` (domains checked: sent and judged) and `CanaryFailures` (domains whose
 * check did not pass), environment scope, and logs one `canary.result` line per domain naming the outcome
 * (`pass`, `no-signature`, `wrong-selector`, `bad-signature`, `dns-error`, `not-arrived`, `send-failed`),
 * the expected selector, the signatures seen and the reason (`reason`, `reasonJa`). The DNS lookups of the verification go to the resolvers of
 * `BYODKIM_RESOLVERS` (default: the public ones of functions/adapters/dns-verifier.ts).
 *
 * Environment (set by the DkimCanary construct; names in functions/core/contract.ts LAMBDA_ENV):
 *
 * | Variable | What |
 * | --- | --- |
 * | `BYODKIM_ENVIRONMENT`, `BYODKIM_STATE_TABLE` | the `Environment` dimension; the table of STATE items |
 * | `BYODKIM_CANARY_TARGETS` | JSON list `[{"domain": "example.com", "configurationSet": "…"}]` |
 * | `BYODKIM_CANARY_RECIPIENT` | the address on the receiving domain the receipt rule stores |
 * | `BYODKIM_CANARY_BUCKET`, `BYODKIM_CANARY_BUCKET_REGION`, `BYODKIM_CANARY_PREFIX` | where messages arrive |
 * | `BYODKIM_CANARY_LOCAL_PART` | optional: the sender's local part (default `canary`) |
 * | `BYODKIM_CANARY_WAIT_SECONDS` | optional: how long to wait for the messages (default 300) |
 * | `BYODKIM_RESOLVERS` | optional: the resolvers of the key record lookups |
 */
import { SESv2Client, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { LAMBDA_ENV, METRICS, METRIC_DIMENSIONS, readLambdaEnvironment } from '../core/contract';
import { ByodkimError, ValidationError } from '../core/errors';
import { domainProblem, emailProblem } from '../core/names';
import type { Logger, Metrics } from '../lifecycle/ports';
import { activeKey, type DomainState } from '../lifecycle/state';
import { awsClientConfig, mapAwsError } from '../adapters/aws-errors';
import { DEFAULT_RESOLVERS, lookupTxt } from '../adapters/dns-verifier';
import { parseServerAddress } from '../adapters/dns-transport';
import { DynamoDbStateStore } from '../adapters/dynamodb';
import { PowertoolsLogger, PowertoolsMetrics } from '../adapters/powertools';
import {
  DEFAULT_CANARY_LOCAL_PART,
  DEFAULT_CANARY_WAIT_SECONDS,
  canaryMessage,
  canaryTokenOf,
  newCanaryToken,
  notArrivedVerdict,
  sendFailedVerdict,
  verifyCanaryMessage,
  type CanaryExpectation,
  type CanaryOutcome,
  type CanaryVerdict,
  type SignatureSeen,
  type TxtLookup,
} from '../monitoring/canary';
import { listVariable, perContainer } from './runtime';

type Env = Readonly<Record<string, string | undefined>>;

/** One domain the canary checks, and the configuration set its message goes through. */
export interface CanaryTarget {
  readonly domain: string;
  readonly configurationSet?: string;
}

/** The canary's settings, read from its environment. */
export interface CanarySettings {
  readonly environment: string;
  readonly stateTable: string;
  readonly targets: readonly CanaryTarget[];
  readonly recipient: string;
  readonly localPart: string;
  readonly bucket: string;
  readonly bucketRegion: string;
  /** The receipt rule's object key prefix, e.g. `incoming/`. */
  readonly prefix: string;
  readonly waitSeconds: number;
  /** Seconds between two looks at the bucket. */
  readonly pollSeconds: number;
  readonly resolvers: readonly string[];
}

/** What the Lambda keeps of its time after the wait: judging the last messages, metrics, the log. */
export const FINISH_MARGIN_MS = 45_000;

/** How one run may wait (the Lambda handler's; tests pass theirs). */
export interface CanaryRunOptions {
  /** The clock time (runtime.now()) by which the wait must end, whatever `waitSeconds` says. */
  readonly finishBy?: number;
}

/** The longest wait a run may have (the Lambda's 15 minutes, less time to send and judge). */
export const MAX_CANARY_WAIT_SECONDS = 780;
/** Objects written this long before the run started still count (clocks of S3 and Lambda differ a little). */
export const CLOCK_SKEW_MS = 60_000;
const DEFAULT_POLL_SECONDS = 5;
const LOCAL_PART_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._+-]{0,62}[A-Za-z0-9])?$/;

function invalid(variable: string, expected: string, given: string | undefined): never {
  throw new ValidationError(
    'LAMBDA_ENVIRONMENT_INVALID',
    `${variable} must be ${expected}; given ${given === undefined ? 'nothing' : JSON.stringify(given)}`,
    variable,
  );
}

function parseTargets(text: string): CanaryTarget[] {
  const variable = LAMBDA_ENV.canaryTargets;
  const expected = 'a JSON list of {"domain": "<A-label>", "configurationSet"?: "<name>"} with at least one entry';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    invalid(variable, expected, text);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) invalid(variable, expected, text);
  const seen = new Set<string>();
  return parsed.map((entry: unknown, i): CanaryTarget => {
    const record = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const { domain, configurationSet } = record;
    if (typeof domain !== 'string' || domainProblem(domain) !== undefined) {
      invalid(`${variable}[${i}].domain`, 'a domain name as an A-label, e.g. example.com', JSON.stringify(domain));
    }
    if (seen.has(domain)) invalid(`${variable}[${i}].domain`, 'listed once', domain);
    seen.add(domain);
    if (configurationSet !== undefined && (typeof configurationSet !== 'string' || configurationSet === '')) {
      invalid(`${variable}[${i}].configurationSet`, 'an SES configuration set name', JSON.stringify(configurationSet));
    }
    return { domain, ...(configurationSet !== undefined ? { configurationSet: configurationSet as string } : {}) };
  });
}

function seconds(env: Env, variable: string, fallback: number, max: number): number {
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max)
    invalid(variable, `a whole number of seconds from 1 to ${max}`, raw);
  return value;
}

/** Reads and checks the canary's environment; every problem names the variable, what it must be and what it is. */
export function readCanarySettings(env: Env = process.env): CanarySettings {
  const vars = readLambdaEnvironment(env, [
    'environment',
    'stateTable',
    'canaryTargets',
    'canaryRecipient',
    'canaryBucket',
    'canaryBucketRegion',
    'canaryPrefix',
  ]);
  const recipient = vars.canaryRecipient;
  const problem = emailProblem(recipient);
  if (problem !== undefined) invalid(LAMBDA_ENV.canaryRecipient, `an e-mail address (${problem})`, recipient);
  const localPart = env[LAMBDA_ENV.canaryLocalPart]?.trim() || DEFAULT_CANARY_LOCAL_PART;
  if (!LOCAL_PART_PATTERN.test(localPart)) {
    invalid(LAMBDA_ENV.canaryLocalPart, 'an e-mail local part of letters, digits and . _ + -', localPart);
  }
  return {
    environment: vars.environment,
    stateTable: vars.stateTable,
    targets: parseTargets(vars.canaryTargets),
    recipient,
    localPart,
    bucket: vars.canaryBucket,
    bucketRegion: vars.canaryBucketRegion,
    prefix: vars.canaryPrefix,
    waitSeconds: seconds(env, LAMBDA_ENV.canaryWaitSeconds, DEFAULT_CANARY_WAIT_SECONDS, MAX_CANARY_WAIT_SECONDS),
    pollSeconds: DEFAULT_POLL_SECONDS,
    resolvers: listVariable(env[LAMBDA_ENV.resolvers]) ?? [...DEFAULT_RESOLVERS],
  };
}

/**
 * TXT lookups through recursive resolvers, asked in order until one answers (an answer, NXDOMAIN or
 * NODATA is final; a timeout or SERVFAIL moves on to the next). Built on the DNS verifier's own lookup.
 */
export function resolverLookup(
  resolvers: readonly string[],
  options: { readonly timeoutMs?: number; readonly retries?: number } = {},
): TxtLookup {
  const servers = resolvers.map((server) => parseServerAddress(server));
  return async (name) => {
    const problems: string[] = [];
    for (const server of servers) {
      const { answer, detail } = await lookupTxt(server, name, 'resolver', {
        timeoutMs: options.timeoutMs ?? 2000,
        retries: options.retries ?? 1,
      });
      if (answer.outcome === 'answer') return { kind: 'records', records: answer.records };
      if (answer.outcome === 'nxdomain' || answer.outcome === 'nodata') return { kind: answer.outcome };
      problems.push(`${answer.server}: ${answer.outcome}${detail ? ` (${detail})` : ''}`);
    }
    return { kind: 'error', detail: problems.join('; ') || 'no resolver to ask' };
  };
}

/** What the canary needs from the world. Tests build it with clients pointed at moto and mocks. */
export interface CanaryRuntime {
  readonly settings: CanarySettings;
  readonly ses: SESv2Client;
  readonly s3: S3Client;
  readonly states: Pick<DynamoDbStateStore, 'load'>;
  readonly lookup: TxtLookup;
  readonly logger: Logger;
  readonly metrics: Metrics & { flush(): void };
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export function createCanaryRuntime(env: Env = process.env): CanaryRuntime {
  const settings = readCanarySettings(env);
  const logger = new PowertoolsLogger({ environment: settings.environment });
  const endpointOverride = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  return {
    settings,
    ses: new SESv2Client(awsClientConfig(env)),
    // Path-style addressing only against an emulator's endpoint (a bucket name is no host name there).
    s3: new S3Client({
      ...awsClientConfig(env, { region: settings.bucketRegion }),
      ...(endpointOverride ? { forcePathStyle: true } : {}),
    }),
    states: new DynamoDbStateStore({ tableName: settings.stateTable }),
    lookup: resolverLookup(settings.resolvers),
    logger,
    metrics: new PowertoolsMetrics({ environment: settings.environment, logger }),
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

/** One domain's result in the run's answer and log line. */
export interface CanaryDomainResult {
  readonly domain: string;
  readonly outcome: CanaryOutcome | 'skipped';
  readonly expectedSelector?: string;
  readonly token?: string;
  /** SES's message id of the sent message. */
  readonly messageId?: string;
  /** The S3 key of the received copy. */
  readonly objectKey?: string;
  readonly signatures?: readonly SignatureSeen[];
  readonly message: { readonly en: string; readonly ja: string };
}

export interface CanaryRunResult {
  readonly status: 'ok';
  readonly environment: string;
  /** Domains checked (sent and judged): the `CanaryRuns` datum. */
  readonly checked: number;
  /** Domains whose check did not pass: the `CanaryFailures` datum. */
  readonly failures: number;
  readonly domains: readonly CanaryDomainResult[];
}

interface Pending {
  readonly expectation: CanaryExpectation;
  readonly token: string;
  readonly messageId?: string;
}

/**
 * The recorded active selector of a domain, or why there is none. A state that cannot be read fails the
 * run (nothing is emitted, and the silence alarm reports it): skipping would look like a quiet success.
 */
async function activeSelector(rt: CanaryRuntime, domain: string): Promise<{ selector?: string; reason?: string }> {
  const state: DomainState | undefined = await rt.states.load(domain);
  const key = state === undefined ? undefined : activeKey(state);
  if (key === undefined) return { reason: state === undefined ? 'no recorded state yet' : 'no active byodkim key yet' };
  return { selector: key.selector };
}

function sendInput(rt: CanaryRuntime, target: CanaryTarget, token: string): SendEmailCommandInput {
  const message = canaryMessage({
    domain: target.domain,
    localPart: rt.settings.localPart,
    recipient: rt.settings.recipient,
    token,
    environment: rt.settings.environment,
  });
  return {
    FromEmailAddress: message.from,
    Destination: { ToAddresses: [message.to] },
    Content: {
      Simple: {
        Subject: { Data: message.subject, Charset: 'UTF-8' },
        Body: { Text: { Data: message.text, Charset: 'UTF-8' } },
        Headers: message.headers.map((h) => ({ Name: h.name, Value: h.value })),
      },
    },
    ...(target.configurationSet !== undefined ? { ConfigurationSetName: target.configurationSet } : {}),
  };
}

/** The keys under the prefix written since `since` (epoch ms), every page read. */
async function arrivedSince(rt: CanaryRuntime, since: number): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    let page: ListObjectsV2CommandOutput;
    try {
      page = await rt.s3.send(
        new ListObjectsV2Command({
          Bucket: rt.settings.bucket,
          Prefix: rt.settings.prefix,
          ...(token !== undefined ? { ContinuationToken: token } : {}),
        }),
      );
    } catch (error) {
      throw mapAwsError(error, { service: 'S3', action: 'ListObjectsV2', resource: `bucket ${rt.settings.bucket}` });
    }
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined && (object.LastModified?.getTime() ?? 0) >= since) keys.push(object.Key);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

async function readObject(rt: CanaryRuntime, key: string): Promise<Buffer> {
  try {
    const output = await rt.s3.send(new GetObjectCommand({ Bucket: rt.settings.bucket, Key: key }));
    return Buffer.from(await output.Body!.transformToByteArray());
  } catch (error) {
    throw mapAwsError(error, { service: 'S3', action: 'GetObject', resource: `object ${rt.settings.bucket}/${key}` });
  }
}

/**
 * Sends one message per canary domain, waits for their copies in the bucket, judges each, emits
 * `CanaryRuns` and `CanaryFailures` and logs one `canary.result` line per domain. Throws only when the
 * state table or the bucket's listing cannot be read (the run then emits nothing, and the missing `CanaryRuns` data
 * raises the silence alarm).
 */
export async function runCanary(rt: CanaryRuntime, options: CanaryRunOptions = {}): Promise<CanaryRunResult> {
  const { settings } = rt;
  const startedAt = rt.now();
  const results = new Map<string, CanaryDomainResult>();
  const pending = new Map<string, Pending>();

  for (const target of settings.targets) {
    const { selector, reason } = await activeSelector(rt, target.domain);
    if (selector === undefined) {
      results.set(target.domain, {
        domain: target.domain,
        outcome: 'skipped',
        message: {
          en: `${target.domain}: not checked, ${reason}: the canary holds SES to the recorded active selector, and there is none`,
          ja: `${target.domain}: 確認しませんでした (${reason})。カナリアは記録上の有効なセレクターで SES の署名を確認しますが、まだありません`,
        },
      });
      continue;
    }
    const expectation = { domain: target.domain, selector };
    const token = newCanaryToken(rt.now());
    try {
      const output = await rt.ses.send(new SendEmailCommand(sendInput(rt, target, token)));
      pending.set(token, { expectation, token, ...(output.MessageId ? { messageId: output.MessageId } : {}) });
    } catch (error) {
      const mapped = mapAwsError(error, {
        service: 'SESv2',
        action: 'SendEmail',
        resource: `from ${settings.localPart}@${target.domain}`,
      });
      results.set(target.domain, {
        ...toResult(sendFailedVerdict(expectation, `${mapped.code}: ${mapped.message}`)),
        token,
      });
    }
  }

  const examined = new Set<string>();
  // The wait ends early when the Lambda's own time runs short: a run that reports is better than a timeout.
  const deadline = Math.min(rt.now() + settings.waitSeconds * 1000, options.finishBy ?? Infinity);
  while (pending.size > 0) {
    for (const key of await arrivedSince(rt, startedAt - CLOCK_SKEW_MS)) {
      if (examined.has(key)) continue;
      examined.add(key);
      let raw: Buffer;
      try {
        raw = await readObject(rt, key);
      } catch (error) {
        // One unreadable object (expired between list and get, or not decryptable) does not end the run:
        // if it was a canary message, its domain ends as not-arrived, and this line says why.
        const code = error instanceof ByodkimError ? error.code : 'UNKNOWN';
        const detail = error instanceof Error ? error.message : String(error);
        rt.logger.log('warn', 'canary.object-unreadable', { objectKey: key, code, detail });
        continue;
      }
      const token = canaryTokenOf(raw);
      const sent = token === undefined ? undefined : pending.get(token);
      if (sent === undefined) continue; // another run's message, or not a canary message at all
      pending.delete(sent.token);
      const verdict = await verifyCanaryMessage(raw, sent.expectation, { lookup: rt.lookup, now: rt.now() });
      results.set(sent.expectation.domain, {
        ...toResult(verdict),
        token: sent.token,
        ...(sent.messageId ? { messageId: sent.messageId } : {}),
        objectKey: key,
      });
      if (verdict.outcome === 'pass') await deletePassed(rt, key);
    }
    if (pending.size === 0 || rt.now() >= deadline) break;
    await rt.sleep(Math.min(settings.pollSeconds * 1000, Math.max(0, deadline - rt.now())));
  }
  const waitedSeconds = Math.round((rt.now() - startedAt) / 1000);
  for (const sent of pending.values()) {
    results.set(sent.expectation.domain, {
      ...toResult(notArrivedVerdict(sent.expectation, waitedSeconds)),
      token: sent.token,
      ...(sent.messageId ? { messageId: sent.messageId } : {}),
    });
  }

  const domains = settings.targets.map((t) => results.get(t.domain)!);
  const judged = domains.filter((d) => d.outcome !== 'skipped');
  const failures = judged.filter((d) => d.outcome !== 'pass').length;
  for (const result of domains) {
    const level = result.outcome === 'pass' ? 'info' : result.outcome === 'skipped' ? 'warn' : 'error';
    // `message` is Powertools' own key (the event name): the bilingual text goes in `reason` / `reasonJa`.
    const { message, ...fields } = result;
    rt.logger.log(level, 'canary.result', { ...fields, reason: message.en, reasonJa: message.ja });
  }
  const dimensions = { [METRIC_DIMENSIONS.environment]: settings.environment };
  rt.metrics.emit({ name: METRICS.canaryRuns.name, unit: METRICS.canaryRuns.unit, value: judged.length, dimensions });
  rt.metrics.emit({
    name: METRICS.canaryFailures.name,
    unit: METRICS.canaryFailures.unit,
    value: failures,
    dimensions,
  });
  rt.logger.log(failures > 0 ? 'error' : 'info', 'canary.done', {
    checked: judged.length,
    failures,
    skipped: domains.length - judged.length,
    elapsedMs: rt.now() - startedAt,
  });
  return { status: 'ok', environment: settings.environment, checked: judged.length, failures, domains };
}

function toResult(verdict: CanaryVerdict): CanaryDomainResult {
  return {
    domain: verdict.domain,
    outcome: verdict.outcome,
    expectedSelector: verdict.expectedSelector,
    signatures: verdict.signatures,
    message: verdict.message,
  };
}

/** A passed message is deleted (a failed one stays for investigation until the lifecycle rule expires it). */
async function deletePassed(rt: CanaryRuntime, key: string): Promise<void> {
  try {
    await rt.s3.send(new DeleteObjectCommand({ Bucket: rt.settings.bucket, Key: key }));
  } catch (error) {
    const mapped = mapAwsError(error, { service: 'S3', action: 'DeleteObject', resource: `object ${key}` });
    rt.logger.log('warn', 'canary.delete-failed', { objectKey: key, code: mapped.code, message: mapped.message });
  }
}

const runtime = perContainer(() => createCanaryRuntime());

/** A failed run's answer: what was wrong, never a stack trace. */
export interface CanaryErrorAnswer {
  readonly status: 'error';
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}

/**
 * The Lambda entry point (EventBridge Scheduler; the event's content is not read). A configuration or
 * bucket error is logged and answered as JSON, and no metric is emitted: `CanaryRuns` goes missing, which
 * the canary's alarm treats as breaching.
 */
export async function handler(
  _event?: unknown,
  context?: { getRemainingTimeInMillis?: () => number },
): Promise<CanaryRunResult | CanaryErrorAnswer> {
  let rt: CanaryRuntime | undefined;
  try {
    rt = runtime();
    const remaining = context?.getRemainingTimeInMillis?.();
    return await runCanary(rt, remaining !== undefined ? { finishBy: rt.now() + remaining - FINISH_MARGIN_MS } : {});
  } catch (error) {
    const code = error instanceof ByodkimError ? error.code : 'INTERNAL_ERROR';
    const field = error instanceof ValidationError ? error.field : undefined;
    const message = error instanceof Error ? error.message : String(error);
    (rt?.logger ?? new PowertoolsLogger({ environment: process.env[LAMBDA_ENV.environment] ?? 'unknown' })).log(
      'error',
      'canary.failed',
      { code, message },
    );
    return { status: 'error', error: { code, message, ...(field !== undefined ? { field } : {}) } };
  } finally {
    rt?.metrics.flush();
  }
}

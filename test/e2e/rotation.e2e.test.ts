/**
 * A full rotation end to end through the real planner and worker handlers and the real adapters, on
 * moto_server (with test/support/aws-e2e-proxy.ts adding SES BYODKIM as a strict fake), DNS answered by
 * real DNS servers on loopback, time advanced by an injected clock (the worker runtime's `overrides`):
 * route53 mode and external mode, from the adoption of an Easy DKIM identity to the old key destroyed.
 * Then: no key material anywhere in what the rotations logged, measured, answered and sent, nor in the
 * synthesized Terraform of every environment.
 *
 * Everything that happened is recorded — the DNS as each loopback server served it over time, SES's
 * configuration over time (the proxy), the keys stored and deleted, every state item and audit event
 * written, every run and a replay right after each completed one, the operator's command, everything
 * logged, answered and sent — and the simulation's independent invariant checker is run over that recorded
 * history (functions/simulation/history-check.ts). A copy of the history with one step broken (SES
 * switched before the record was published, a retired record removed early, a version skipped) is
 * reported.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { LAMBDA_ENV, specItem, STATE_TABLE } from '../../functions/core/contract';
import type { DomainSpec } from '../../functions/core/spec';
import { DAY_MS, HOUR_MS } from '../../functions/core/time';
import { NetworkDnsObserver } from '../../functions/adapters/dns-observer';
import { DynamoDbStateStore } from '../../functions/adapters/dynamodb';
import { SecretsManagerKeyStore } from '../../functions/adapters/secrets-manager';
import { planDomains } from '../../functions/handlers/planner';
import {
  createPlannerRuntime,
  createWorkerRuntime,
  type PlannerRuntime,
  type WorkerRuntime,
} from '../../functions/handlers/runtime';
import { work } from '../../functions/handlers/worker';
import { decide } from '../../functions/lifecycle/decide';
import { observe } from '../../functions/lifecycle/reconciler';
import type { DomainState } from '../../functions/lifecycle/state';
import {
  checkRecordedHistory,
  type RecordedDnsChange,
  type RecordedHistory,
} from '../../functions/simulation/history-check';
import { SecretScanner } from '../../functions/simulation/invariants';
import { environments } from '../../envs';
import { synthesize } from '../../main';
import { startE2eProxy, type E2eProxy } from '../support/aws-e2e-proxy';
import { startTestDnsServer, type TestDnsServer, type ZoneNode } from '../support/dns-test-server';
import { createStateTable } from '../support/state-table';
import { launchMoto, MOTO_REGION, type Moto } from '../support/moto';

jest.setTimeout(120_000);

const START = Date.UTC(2027, 0, 4, 0, 0, 0);
const R53_DOMAIN = 'example.jp';
const EXT_DOMAIN = 'example.com';
const TEAM = 'dns-team@example.com';
const TABLE = 'byodkim-e2e-dkim-state';
const PREFIX = 'byodkim-e2e';

let now = START;
const clock = { now: () => now };

let moto: Moto;
let proxy: E2eProxy;
let authoritative: TestDnsServer;
let recursive: TestDnsServer;
/** The DNS data both loopback servers answer from (shared, edited by the Route 53 sync and the DNS team). */
const records: Record<string, ZoneNode> = {};
let env: Record<string, string>;
let worker: WorkerRuntime;
/** The planner's runtime: one per container, as the Lambda keeps it (functions/handlers/planner.ts, perContainer). */
let planner: PlannerRuntime;
/** The Terraform of every environment, synthesized while moto_server boots (scanned for key material at the end). */
const terraform: string[] = [];
let route53: Route53Client;
let sqs: SQSClient;
let workQueueUrl: string;
let opsInboxUrl: string;
let hostedZoneId: string | undefined;
/** The route53-mode rotation's recorded history (for the broken variants). */
let route53History: RecordedHistory | undefined;
const savedEnv = { ...process.env };

/** Everything a rotation emitted: log and EMF lines, handler responses, notifications. */
const captured = {
  stdout: [] as string[],
  stderr: [] as string[],
  responses: [] as string[],
  mail: [] as string[],
  sns: [] as string[],
};
const privateKeys: { privateKey: string; publicKey: string }[] = [];

/** The recorded history (with the proxy's records), for the invariant checker. */
const recorded = {
  dns: [] as RecordedDnsChange[],
  runs: [] as { domain: string; startedAt: number; completedAt?: number }[],
  replays: [] as RecordedHistory['replays'][number][],
  commands: [] as RecordedHistory['commands'][number][],
  texts: [] as { at: number; domain: string; where: string; text: string }[],
  dnsTeamRequests: [] as { domain: string; sentAt: number; deadline: number; answeredAt?: number }[],
  specs: {} as Record<string, DomainSpec>,
  sendingFrom: {} as Record<string, number>,
};
/** What each loopback server serves now, by name (to record changes). */
const served = new Map<string, string>();

/** Records every name whose data changed since the last call, as both loopback servers serve it from now. */
function recordDns(): void {
  for (const name of new Set([...Object.keys(records), ...served.keys()])) {
    const node = records[name];
    const json = node ? JSON.stringify(node) : '';
    if ((served.get(name) ?? '') === json) continue;
    if (node) served.set(name, json);
    else served.delete(name);
    for (const server of [authoritative.address, recursive.address]) {
      recorded.dns.push({
        at: now,
        server,
        name,
        ...(node?.TXT ? { txt: node.TXT.map((strings) => [...strings]) } : {}),
        ...(node?.CNAME ? { cname: node.CNAME } : {}),
        ttl: 300, // what the test DNS server gives every record (and its SOA minimum)
      });
    }
  }
}

function unquote(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** Route 53 → the loopback DNS: the zone's TXT records as moto holds them, each record's strings kept apart. */
async function syncZone(zoneId: string): Promise<void> {
  const sets = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  for (const name of Object.keys(records)) if (name.endsWith(R53_DOMAIN)) delete records[name];
  for (const set of sets.ResourceRecordSets ?? []) {
    if (set.Type !== 'TXT') continue;
    const name = set.Name!.replace(/\.$/, '').toLowerCase();
    records[name] = {
      TXT: (set.ResourceRecords ?? []).map((r) =>
        [...r.Value!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => unquote(m[0])),
      ),
    };
  }
  recordDns();
  // From the adoption on: before it, SES had no identity to sign with.
  if (proxy.dkim.has(R53_DOMAIN)) await proxy.observe(R53_DOMAIN, `route53 change ${zoneId}`);
}

/** Sent mail (moto keeps it), oldest first. */
async function sentMail(): Promise<{ subject: string; body: string; to: string[] }[]> {
  const data = (await (await fetch(`${moto.endpoint}/moto-api/data.json`)).json()) as {
    sesv2?: { Message?: { subject: string; body: string; destinations: { ToAddresses: string[] } }[] };
    ses?: { Message?: { subject: string; body: string; destinations: { ToAddresses: string[] } }[] };
  };
  const messages = data.sesv2?.Message ?? data.ses?.Message ?? [];
  return messages.map((m) => ({ subject: m.subject, body: m.body, to: m.destinations.ToAddresses }));
}

let mailRead = 0;
const teamLog: string[] = [];

/** The DNS team: reads every new change request and publishes (or revokes) what it asks for, exactly. */
async function dnsTeamWorks(): Promise<void> {
  const mail = await sentMail();
  for (const m of mail.slice(mailRead)) {
    captured.mail.push(`${m.subject}\n${m.body}`);
    recorded.texts.push({ at: now, domain: '', where: 'mail', text: `${m.subject}\n${m.body}` });
    if (!m.to.includes(TEAM)) continue;
    const en = m.body.slice(m.body.indexOf('Dear DNS team'));
    const name = /^- Name: (\S+)\.$/m.exec(en)?.[1];
    if (!name) continue;
    const revoke = /^- New value: (".*")$/m.exec(en);
    if (revoke) {
      records[name] = { TXT: [[unquote(revoke[1]!)]] };
      teamLog.push(`revoked ${name}`);
    } else {
      const strings = [...en.matchAll(/^\s+\[\d+\/\d+\] \(\d+\) (".*")$/gm)].map((s) => unquote(s[1]!));
      if (strings.length === 0) continue;
      records[name] = { TXT: [strings] };
      teamLog.push(`published ${name}`);
    }
    recordDns();
    // Sent during the run at this clock time and answered now (the team works right after the run).
    recorded.dnsTeamRequests.push({ domain: EXT_DOMAIN, sentAt: now, deadline: now + DAY_MS, answeredAt: now });
    await proxy.observe(EXT_DOMAIN, `DNS team: ${teamLog.at(-1)}`);
  }
  mailRead = mail.length;
}

/**
 * Invariant 7's replay, right after a completed run: the engine decides again on the state it left and the
 * world as it is now (reads only: SES, the key store, DNS) — a run that converged decides nothing.
 */
async function replay(domain: string): Promise<void> {
  const spec = recorded.specs[domain]!;
  const state = (await stateStore().load(domain))!;
  const decision = decide(spec, state, await observe(spec, state, worker.ports), now);
  recorded.replays.push({
    at: now,
    domain,
    policy: decision.policy,
    actions: decision.actions.map((a) => a.type),
    changed: decision.next !== state,
  });
}

/** The runs the worker reported since `from` (its `worker.reconciled` lines): recorded, and replayed when done and they acted. */
async function recordRuns(from: number): Promise<void> {
  for (const chunk of captured.stdout.slice(from)) {
    for (const line of chunk.split('\n').filter((l) => l.startsWith('{'))) {
      let entry: { message?: string; domain?: string; outcome?: string; steps?: number };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue; // a line written in pieces: not a reconciled line
      }
      if (entry.message !== 'worker.reconciled' || !entry.domain) continue;
      const done = entry.outcome === 'done';
      recorded.runs.push({ domain: entry.domain, startedAt: now, ...(done ? { completedAt: now } : {}) });
      // A run that took no step ended on the decision a replay would make (same state, world and clock):
      // only a run that acted is replayed.
      if (done && (entry.steps ?? 1) > 0) await replay(entry.domain);
    }
  }
}

/** One scheduled run: the planner enqueues every domain, the worker takes the SQS batch. */
async function scheduledRun(): Promise<void> {
  await planDomains(planner);
  for (;;) {
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: workQueueUrl, MaxNumberOfMessages: 10 }));
    const messages = received.Messages ?? [];
    if (messages.length === 0) break;
    const logged = captured.stdout.length;
    const answer = await work(() => worker, {
      Records: messages.map((m) => ({ messageId: m.MessageId!, body: m.Body!, eventSource: 'aws:sqs' })),
    });
    await recordRuns(logged);
    captured.responses.push(JSON.stringify(answer));
    recorded.texts.push({ at: now, domain: '', where: 'worker response', text: JSON.stringify(answer) });
    if (JSON.stringify(answer) !== '{"batchItemFailures":[]}') {
      throw new Error(
        `worker failed: ${JSON.stringify(answer)}\n${[...captured.stderr, ...captured.stdout].slice(-6).join('')}`,
      );
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: workQueueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
}

async function createKmsKey(): Promise<string> {
  const response = await fetch(`${moto.endpoint}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'TrentService.CreateKey',
      Authorization: `AWS4-HMAC-SHA256 Credential=testing/20250101/${MOTO_REGION}/kms/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ Description: 'byodkim e2e key store' }),
  });
  return ((await response.json()) as { KeyMetadata: { Arn: string } }).KeyMetadata.Arn;
}

async function putSpec(spec: DomainSpec): Promise<void> {
  recorded.specs[spec.domain] = spec;
  const dynamodb = new DynamoDBClient(moto.clientConfig);
  await dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: specItem(spec) as Record<string, AttributeValue> }));
  dynamodb.destroy();
}

async function adoptEasyDkimIdentity(domain: string): Promise<void> {
  const ses = new SESv2Client(moto.clientConfig);
  await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: domain }));
  ses.destroy();
  proxy.seedEasyDkim(domain);
  recorded.sendingFrom[domain] = now;
  await proxy.observe(domain, 'Easy DKIM identity exists');
}

// One store (one SDK client, its connections kept) for the whole file, made once the environment points at the proxy.
let states: DynamoDbStateStore | undefined;
const stateStore = () => (states ??= new DynamoDbStateStore({ tableName: TABLE }));
const keyStore = () => new SecretsManagerKeyStore({ prefix: PREFIX, kmsKeyId: 'unused' });

/**
 * An operator's command through the worker (direct invocation): answered `done`, it is acknowledged — the
 * checker then looks for it in the recorded history (invariant 9).
 */
async function operatorCommand(domain: string, action: 'rotate'): Promise<void> {
  const logged = captured.stdout.length;
  const answer = (await work(() => worker, { action, domain, actor: 'e2e-operator' })) as {
    domains?: { outcome: string; version?: number }[];
  };
  recorded.texts.push({ at: now, domain, where: 'operator response', text: JSON.stringify(answer) });
  expect(answer.domains?.[0]).toMatchObject({ action, domain, outcome: 'done' });
  const { version } = answer.domains![0]!;
  recorded.commands.push({ domain, action, issuedAt: now, ...(version !== undefined ? { version } : {}) });
  recorded.runs.push({ domain, startedAt: now, completedAt: now });
  await recordRuns(logged);
  await replay(domain);
}

/**
 * Runs the schedule until the first byodkim key is destroyed (and its secret scheduled for deletion).
 * `rotateAfterDays`: an operator asks for the next rotation once the first key has been active that long.
 */
async function rotateUntilOldKeyDestroyed(
  domain: string,
  every: number,
  maxRuns: number,
  rotateAfterDays?: number,
): Promise<{ runs: number; state: DomainState; milestones: string[] }> {
  const milestones: string[] = [];
  let seen = '';
  let rotated = false;
  for (let run = 1; run <= maxRuns; run++) {
    now += every;
    await scheduledRun();
    if (domain === EXT_DOMAIN) await dnsTeamWorks();
    await proxy.observe(domain, `after run ${run}`);
    const before = (await stateStore().load(domain))!;
    const active = before.keys.find((k) => k.state === 'active');
    if (
      rotateAfterDays !== undefined &&
      !rotated &&
      before.keys.length === 1 &&
      active?.activatedAt !== undefined &&
      now - active.activatedAt >= rotateAfterDays * DAY_MS
    ) {
      await operatorCommand(domain, 'rotate');
      rotated = true;
      milestones.push(`day ${((now - START) / DAY_MS).toFixed(2)}: operator: rotate`);
    }
    const state = (await stateStore().load(domain))!;
    const summary = state.keys.map((k) => `${k.selector}:${k.state}`).join(' ');
    if (summary !== seen) {
      milestones.push(`day ${((now - START) / DAY_MS).toFixed(2)}: ${summary}`);
      seen = summary;
    }
    if (state.keys.length >= 2 && state.keys[0]!.state === 'destroyed' && state.keys.at(-1)!.state === 'active') {
      if (process.env.E2E_TIMELINE) appendFileSync(process.env.E2E_TIMELINE, `${domain}\n${milestones.join('\n')}\n`);
      return { runs: run, state, milestones };
    }
  }
  throw new Error(`no complete rotation of ${domain} within ${maxRuns} runs:\n${milestones.join('\n')}`);
}

/** The recorded history, checked: versions +1, at most one rotation in flight, SES switched only to verified records, zero unsigned minutes. */
async function checkHistory(domain: string, graceDays: number): Promise<void> {
  // Invariant 9: every state version written is the previous one plus one (DynamoDB writes as sent).
  const versions: number[] = [];
  const inFlight: number[] = [];
  for (const write of proxy.dynamoWrites) {
    const items: Record<string, AttributeValue>[] = [];
    const body = JSON.parse(write.body) as {
      Item?: Record<string, AttributeValue>;
      TransactItems?: { Put?: { Item: Record<string, AttributeValue> } }[];
    };
    if (body.Item) items.push(body.Item);
    for (const t of body.TransactItems ?? []) if (t.Put) items.push(t.Put.Item);
    for (const item of items) {
      if (item[STATE_TABLE.partitionKey]?.S !== `DOMAIN#${domain}` || item[STATE_TABLE.sortKey]?.S !== 'STATE')
        continue;
      const json = JSON.stringify(item);
      const version = /"version":\{"N":"(\d+)"\}/.exec(json)?.[1];
      versions.push(Number(version));
      // Invariant 5: at most one key in generated / dns-requested / dns-verified.
      inFlight.push((json.match(/"state":\{"S":"(generated|dns-requested|dns-verified)"\}/g) ?? []).length);
    }
  }
  expect(versions.length).toBeGreaterThan(3);
  expect(versions).toEqual(versions.map((_, i) => versions[0]! + i));
  expect(versions[0]).toBe(1);
  expect(Math.max(...inFlight)).toBeLessThanOrEqual(1);
  // Invariant 1: every switch to a new selector found its record verified in DNS at that moment.
  const puts = proxy.switches.filter((s) => s.domain === domain && s.call === 'PutEmailIdentityDkimSigningAttributes');
  expect(puts.length).toBeGreaterThanOrEqual(2);
  for (const put of puts) expect(put).toMatchObject({ recordVerified: true });
  // Zero unsigned minutes: SES signs at every point where anything changed (SES switches, DNS changes, runs).
  const points = proxy.timeline.filter((p) => p.domain === domain);
  expect(points.filter((p) => !p.signed)).toEqual([]);
  const used = [...new Set(points.map((p) => p.signingWith))];
  expect(used).toEqual(['easy-dkim', ...puts.map((p) => p.selector)]);
  // Invariant 3: the first key's secret scheduled for deletion only after the grace period since SES last used it.
  const store = keyStore();
  const stored = await store.list(domain);
  const [first, second] = puts;
  const firstKey = stored.find((k) => k.keyId === first!.selector)!;
  expect(firstKey.deletionScheduledAt).toBeDefined();
  const lastSignedWithFirst = points.filter((p) => p.signingWith === first!.selector).at(-1)!.at;
  const switchedAway = points.find((p) => p.signingWith === second!.selector)!.at;
  expect(switchedAway).toBeGreaterThanOrEqual(lastSignedWithFirst);
  const state = (await stateStore().load(domain))!;
  const destroyed = state.keys.find((k) => k.keyId === first!.selector)!;
  expect(destroyed.state).toBe('destroyed');
  expect(now - switchedAway).toBeGreaterThanOrEqual(graceDays * DAY_MS);
  // …and its record is no longer published with the key.
  const name = `${first!.selector}._domainkey.${domain}`;
  const published = (records[name]?.TXT ?? []).map((s) => s.join(''));
  expect(published.filter((v) => v.includes(first!.selector!) || /p=[A-Za-z0-9+/]/.test(v))).toEqual([]);
}

/** The recorded history of `domains` so far, as the invariant checker takes it. */
function recordedHistory(domains: readonly string[]): RecordedHistory {
  const mine = (domain: string) => domains.includes(domain);
  const stateWrites: RecordedHistory['stateWrites'][number][] = [];
  const events: RecordedHistory['events'][number][] = [];
  for (const write of proxy.dynamoWrites) {
    const body = JSON.parse(write.body) as {
      Item?: Record<string, AttributeValue>;
      TransactItems?: { Put?: { Item: Record<string, AttributeValue> } }[];
    };
    const items = [
      ...(body.Item ? [body.Item] : []),
      ...(body.TransactItems ?? []).flatMap((t) => (t.Put ? [t.Put.Item] : [])),
    ];
    for (const item of items) {
      const domain = item.domain?.S ?? '';
      if (!mine(domain)) continue;
      const sk = item[STATE_TABLE.sortKey]?.S ?? '';
      if (sk === STATE_TABLE.stateSortKey) stateWrites.push({ at: write.at, domain, json: item.state!.S! });
      else if (sk.startsWith('EVENT#'))
        events.push({ at: write.at, domain, version: Number(item.version!.N), policy: item.policy!.S! });
    }
  }
  const keyOf = (name: string) => {
    const [, domain, keyId] = /^[^/]+\/([^/]+)\/(.+)$/.exec(name) ?? [];
    return { domain: domain ?? '', keyId: keyId ?? '' };
  };
  const keys = proxy.secrets
    .filter((x) => x.action === 'CreateSecret' && mine(keyOf(x.name).domain))
    .map((x) => {
      const { privateKey, publicKey } = JSON.parse(x.value!) as { privateKey: string; publicKey: string };
      return { at: x.at, ...keyOf(x.name), privateKey, publicKey };
    });
  return {
    specs: Object.fromEntries(domains.map((d) => [d, recorded.specs[d]!])),
    authoritative: [authoritative.address],
    resolvers: [recursive.address],
    zones: [R53_DOMAIN, EXT_DOMAIN].map((apex) => ({ apex, negativeTtl: 300 })),
    dns: recorded.dns,
    ses: proxy.sesHistory.filter((x) => mine(x.domain)),
    switches: proxy.switches
      .filter((x) => mine(x.domain) && x.call === 'PutEmailIdentityDkimSigningAttributes')
      .map((x) => ({ at: x.at, domain: x.domain, selector: x.selector!, publicKey: x.publicKey! })),
    keys,
    deletions: proxy.secrets
      .filter((x) => x.action === 'DeleteSecret' && mine(keyOf(x.name).domain))
      .map((x) => ({ at: x.at, ...keyOf(x.name) })),
    stateWrites,
    events,
    runs: recorded.runs.filter((r) => mine(r.domain)),
    replays: recorded.replays.filter((r) => mine(r.domain)),
    commands: recorded.commands.filter((c) => mine(c.domain)),
    texts: recorded.texts,
    dnsTeamRequests: recorded.dnsTeamRequests.filter((r) => mine(r.domain)),
    sendingFrom: Object.fromEntries(domains.map((d) => [d, recorded.sendingFrom[d]!])),
    end: now,
  };
}

/** The invariant checker over the recorded history: no violation, every invariant that applies checked. */
function checkRecorded(domains: readonly string[], expectCommands: boolean): RecordedHistory {
  const history = recordedHistory(domains);
  const verdict = checkRecordedHistory(history);
  expect(verdict.violations).toEqual([]);
  // 1–9 apply to a rotation (10 only to a disable or revoke, which these runs do not have).
  for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9] as const)
    expect({ n, checks: verdict.checks[n] > 0 }).toEqual({ n, checks: true });
  expect(verdict.checks[10]).toBe(0);
  for (const domain of domains) expect(verdict.unsignedMinutes[domain]).toBe(0);
  expect(history.commands.length > 0).toBe(expectCommands);
  if (process.env.E2E_TIMELINE)
    appendFileSync(process.env.E2E_TIMELINE, `checker over ${domains.join(', ')}: ${JSON.stringify(verdict.checks)}\n`);
  return history;
}

async function collectKeys(): Promise<void> {
  const secrets = new SecretsManagerClient(moto.clientConfig);
  const list = await secrets.send(new ListSecretsCommand({ IncludePlannedDeletion: true }));
  for (const secret of list.SecretList ?? []) {
    const value = await secrets.send(new GetSecretValueCommand({ SecretId: secret.ARN! })).catch(() => undefined);
    if (!value?.SecretString) continue;
    const { privateKey, publicKey } = JSON.parse(value.SecretString) as { privateKey: string; publicKey: string };
    expect(privateKey).toMatch(/^MII[A-Za-z0-9+/]+={0,2}$/);
    privateKeys.push({ privateKey, publicKey });
  }
  secrets.destroy();
}

let stdoutSpy: jest.SpyInstance;
let stderrSpy: jest.SpyInstance;

/** Every environment's stack as `synthesize()` writes it: the cdk.tf.json texts. */
function synthesizeEveryEnvironment(): void {
  const outdir = mkdtempSync(path.join(tmpdir(), 'byodkim-e2e-synth-'));
  try {
    expect(synthesize(environments, { outdir, stderr: () => undefined })).toBe(0);
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const file = path.join(dir, entry);
        if (statSync(file).isDirectory()) walk(file);
        else if (entry.endsWith('.json')) terraform.push(readFileSync(file, 'utf8'));
      }
    };
    walk(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  // The synthesis reads no state and no key (the same sources give the same Terraform): done here, while
  // moto_server boots, and scanned after the rotations for every key they generated.
  const launched = await launchMoto();
  try {
    synthesizeEveryEnvironment();
  } finally {
    moto = await launched.ready;
  }
  authoritative = await startTestDnsServer({ role: 'authoritative', zones: [R53_DOMAIN, EXT_DOMAIN], records });
  recursive = await startTestDnsServer({ role: 'recursive', records });
  route53 = new Route53Client(moto.clientConfig);
  sqs = new SQSClient(moto.clientConfig);
  proxy = await startE2eProxy({
    target: moto.endpoint,
    dnsServer: authoritative.address,
    now: clock.now,
    onZoneChange: syncZone,
  });

  const dynamodb = new DynamoDBClient(moto.clientConfig);
  await createStateTable(dynamodb, TABLE);
  dynamodb.destroy();
  const kmsKeyArn = await createKmsKey();
  const sns = new SNSClient(moto.clientConfig);
  const topic = await sns.send(new CreateTopicCommand({ Name: 'byodkim-e2e-ops' }));
  workQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'byodkim-e2e-work' }))).QueueUrl!;
  opsInboxUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'ops-inbox' }))).QueueUrl!;
  const inboxArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: opsInboxUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes!.QueueArn!;
  await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn!, Protocol: 'sqs', Endpoint: inboxArn }));
  sns.destroy();
  // Route 53's ids start with Z (the spec's rule checks it); moto's are random: create until one does.
  for (let attempt = 0; attempt < 500 && !hostedZoneId?.startsWith('Z'); attempt++) {
    if (hostedZoneId) await route53.send(new DeleteHostedZoneCommand({ Id: hostedZoneId }));
    hostedZoneId = (
      await route53.send(new CreateHostedZoneCommand({ Name: R53_DOMAIN, CallerReference: `e2e-${attempt}` }))
    ).HostedZone!.Id!.replace('/hostedzone/', '');
  }
  expect(hostedZoneId).toMatch(/^Z/);
  // An unrelated record in the zone, kept through every change.
  await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId!,
      ChangeBatch: {
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: `${R53_DOMAIN}.`,
              Type: 'TXT',
              TTL: 300,
              ResourceRecords: [{ Value: '"v=spf1 include:amazonses.com ~all"' }],
            },
          },
        ],
      },
    }),
  );
  await syncZone(hostedZoneId!);

  env = {
    AWS_REGION: MOTO_REGION,
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    POWERTOOLS_SERVICE_NAME: 'byodkim',
    POWERTOOLS_METRICS_NAMESPACE: 'Byodkim',
    [LAMBDA_ENV.environment]: 'e2e',
    [LAMBDA_ENV.stateTable]: TABLE,
    [LAMBDA_ENV.workQueueUrl]: workQueueUrl.replace(moto.endpoint, proxy.endpoint),
    [LAMBDA_ENV.secretPrefix]: PREFIX,
    [LAMBDA_ENV.keyStoreKeyArn]: kmsKeyArn,
    [LAMBDA_ENV.operatorTopicArn]: topic.TopicArn!,
    [LAMBDA_ENV.dnsTeamSender]: 'byodkim@example.com',
  };
  Object.assign(process.env, env);
  planner = createPlannerRuntime(env);
  worker = createWorkerRuntime(env, {
    clock,
    dnsObserver: new NetworkDnsObserver({
      resolvers: [recursive.address],
      authoritative: [authoritative.address],
      timeoutMs: 1000,
      retries: 1,
    }),
  });
  const keep = (into: string[]) => (chunk: unknown) => {
    into.push(String(chunk));
    recorded.texts.push({
      at: now,
      domain: '',
      where: into === captured.stdout ? 'stdout' : 'stderr',
      text: String(chunk),
    });
    return true;
  };
  stdoutSpy = jest.spyOn(process.stdout, 'write').mockImplementation(keep(captured.stdout) as never);
  stderrSpy = jest.spyOn(process.stderr, 'write').mockImplementation(keep(captured.stderr) as never);
});

afterAll(async () => {
  stdoutSpy?.mockRestore();
  stderrSpy?.mockRestore();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  route53?.destroy();
  sqs?.destroy();
  await proxy?.stop();
  await authoritative?.close();
  await recursive?.close();
  await moto?.stop();
});

describe('a full rotation through the real handlers and adapters', () => {
  it('route53 mode: Easy DKIM adopted, rotated, the old key destroyed after its grace period; never unsigned', async () => {
    await adoptEasyDkimIdentity(R53_DOMAIN);
    await putSpec({
      domain: R53_DOMAIN,
      selectorPrefix: 'mail',
      keyBits: 2048,
      dns: { kind: 'route53', hostedZoneId: hostedZoneId! },
      rotation: { intervalDays: 2, renewBeforeDays: 1, graceDays: 1, activation: 'auto' },
    });
    const { runs, milestones } = await rotateUntilOldKeyDestroyed(R53_DOMAIN, 6 * HOUR_MS, 40, 0.25);
    expect(runs).toBeLessThanOrEqual(40);
    expect(milestones.length).toBeGreaterThan(2);
    expect(milestones.some((m) => m.endsWith('operator: rotate'))).toBe(true);
    await checkHistory(R53_DOMAIN, 1);
    route53History = checkRecorded([R53_DOMAIN], true);
    // The SPF record the stack does not own is untouched.
    expect(records[R53_DOMAIN]?.TXT).toEqual([['v=spf1 include:amazonses.com ~all']]);
  });

  it('external mode: the DNS team publishes what the change request asks, revokes what the revocation asks', async () => {
    await adoptEasyDkimIdentity(EXT_DOMAIN);
    await putSpec({
      domain: EXT_DOMAIN,
      selectorPrefix: 'mail',
      keyBits: 2048,
      dns: { kind: 'external', contacts: [TEAM], locale: 'ja', leadTimeDays: 1 },
      rotation: { intervalDays: 6, renewBeforeDays: 5, graceDays: 1, activation: 'auto' },
    });
    const { milestones } = await rotateUntilOldKeyDestroyed(EXT_DOMAIN, 6 * HOUR_MS, 60);
    expect(milestones.length).toBeGreaterThan(2);
    expect(teamLog.filter((l) => l.startsWith('published')).length).toBeGreaterThanOrEqual(2);
    expect(teamLog.some((l) => l.startsWith('revoked'))).toBe(true);
    await checkHistory(EXT_DOMAIN, 1);
    // Both domains' whole history (the route53 one kept running beside it).
    checkRecorded([R53_DOMAIN, EXT_DOMAIN], true);
  }, 240_000); // 60 runs of both domains: over 120 s when the 2-core machine is shared
});

describe('the invariant checker over the recorded history reports a broken step', () => {
  const violated = (history: RecordedHistory) =>
    checkRecordedHistory(history).violations.map((v) => `${v.invariant} ${v.domain}: ${v.message}`);

  it('SES switched to the new key before its record was published', () => {
    const h = route53History!;
    const first = h.switches[0]!;
    const name = `${first.selector}._domainkey.${R53_DOMAIN}`;
    // The record's publication (on every server) moved to a minute after the switch.
    const broken: RecordedHistory = {
      ...h,
      dns: h.dns.map((x) => (x.name === name && x.at <= first.at ? { ...x, at: first.at + 60_000 } : x)),
    };
    expect(violated(broken)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^1 ${R53_DOMAIN}: SES was given selector ${first.selector} while`)),
      ]),
    );
    expect(checkRecordedHistory(broken).unsignedMinutes[R53_DOMAIN]).toBeGreaterThan(0);
  });

  it('a retired selector’s record removed right after SES stopped using it (within its grace period)', () => {
    const h = route53History!;
    const [first, second] = h.switches;
    const name = `${first!.selector}._domainkey.${R53_DOMAIN}`;
    const removal = (server: string): RecordedDnsChange => ({ at: second!.at + HOUR_MS, server, name, ttl: 300 });
    const broken: RecordedHistory = { ...h, dns: [...h.dns, ...[...h.authoritative, ...h.resolvers].map(removal)] };
    expect(violated(broken)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^8 ${R53_DOMAIN}: selector ${first!.selector} stopped signing`)),
      ]),
    );
  });

  it('a state version skipped, and the operator’s acknowledged command missing from the events', () => {
    const h = route53History!;
    const skipped = h.stateWrites.map((w, i) =>
      i === 3 ? { ...w, json: JSON.stringify({ ...JSON.parse(w.json), version: JSON.parse(w.json).version + 1 }) } : w,
    );
    expect(violated({ ...h, stateWrites: skipped })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^9 .*version\(s\) skipped/)]),
    );
    const lost = h.events.filter((e) => !e.policy.startsWith('command:'));
    expect(violated({ ...h, events: lost })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^9 .*operator command rotate issued at .* is not in the recorded history/),
      ]),
    );
  });
});

describe('no key material anywhere', () => {
  function scanner(): SecretScanner {
    const s = new SecretScanner();
    for (const k of privateKeys) s.addPrivateKey(k.privateKey, k.publicKey);
    return s;
  }

  it('the scanner finds a key fragment in a line', async () => {
    await collectKeys();
    expect(privateKeys.length).toBeGreaterThanOrEqual(4);
    const key = privateKeys[0]!.privateKey;
    expect(scanner().contains(`{"level":"INFO","note":"${key.slice(600, 660)}"}`)).toBe(true);
    expect(scanner().contains('{"level":"INFO","message":"worker.reconciled"}')).toBe(false);
  });

  it('in every log line, EMF metric, handler response and notification of both rotations, and in every synthesized stack', async () => {
    const opsMessages: string[] = [];
    for (;;) {
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: opsInboxUrl, MaxNumberOfMessages: 10 }));
      if (!received.Messages?.length) break;
      opsMessages.push(...received.Messages.map((m) => m.Body!));
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: opsInboxUrl,
          Entries: received.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    captured.sns.push(...opsMessages);
    await dnsTeamWorks();
    expect(terraform.length).toBeGreaterThanOrEqual(environments.length);
    const sources: Record<string, string[]> = {
      stdout: captured.stdout,
      stderr: captured.stderr,
      responses: captured.responses,
      mail: captured.mail,
      sns: captured.sns,
      terraform,
      dynamo: proxy.dynamoWrites.map((w) => w.body),
    };
    expect(captured.stdout.some((l) => l.includes('"_aws"'))).toBe(true); // EMF lines were captured
    expect(captured.stdout.some((l) => l.includes('worker.reconciled'))).toBe(true);
    expect(captured.mail.length).toBeGreaterThan(0);
    expect(captured.sns.length).toBeGreaterThan(0);
    const s = scanner();
    const found: string[] = [];
    for (const [where, lines] of Object.entries(sources)) {
      for (const line of lines) {
        if (/-----BEGIN|PRIVATE KEY-----/.test(line)) found.push(`${where}: PEM marker`);
        if (s.contains(line)) found.push(`${where}: private key fragment`);
        for (const k of privateKeys)
          if (line.includes(k.privateKey.slice(0, 64))) found.push(`${where}: private key DER`);
        // The public half belongs in records, requests and state; never in logs, metrics, answers or Terraform.
        if (['stdout', 'stderr', 'responses', 'terraform'].includes(where)) {
          for (const k of privateKeys) if (line.includes(k.publicKey.slice(40, 120))) found.push(`${where}: SPKI`);
        }
      }
    }
    expect(found).toEqual([]);
  });
});

describe('the SES fake is as strict as SES', () => {
  it('refuses a PKCS#8 key and an unknown identity, and says SUCCESS only for a record carrying the key', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { SesV2IdentityDkim } = await import('../../functions/adapters/ses');
    const { PutEmailIdentityDkimSigningAttributesCommand } = await import('@aws-sdk/client-sesv2');
    const domain = 'strict.example.jp';
    await adoptEasyDkimIdentity(domain);
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs1 = (pair.privateKey.export({ type: 'pkcs1', format: 'der' }) as Buffer).toString('base64');
    const pkcs8 = (pair.privateKey.export({ type: 'pkcs8', format: 'der' }) as Buffer).toString('base64');
    const spki = (pair.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).toString('base64');
    const client = new SESv2Client({ ...moto.clientConfig, endpoint: proxy.endpoint });
    const put = (EmailIdentity: string, key: string) =>
      client.send(
        new PutEmailIdentityDkimSigningAttributesCommand({
          EmailIdentity,
          SigningAttributesOrigin: 'EXTERNAL',
          SigningAttributes: { DomainSigningSelector: 'strict1', DomainSigningPrivateKey: key },
        }),
      );
    await expect(put(domain, pkcs8)).rejects.toMatchObject({ name: 'BadRequestException' });
    await expect(put('absent.example.jp', pkcs1)).rejects.toMatchObject({ name: 'NotFoundException' });
    const ses = new SesV2IdentityDkim({ client });
    await ses.putExternalSigningKey(domain, 'strict1', pkcs1);
    const name = `strict1._domainkey.${domain}`;
    const other = (
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' }) as Buffer
    ).toString('base64');
    records[name] = { TXT: [[`v=DKIM1; k=rsa; p=${other}`]] };
    expect(await ses.getDkim(domain)).toMatchObject({ origin: 'EXTERNAL', status: 'PENDING', tokens: ['strict1'] });
    records[name] = { TXT: [[`v=DKIM1; k=rsa; p=${spki.slice(0, 200)}`, spki.slice(200)]] };
    expect(await ses.getDkim(domain)).toMatchObject({ status: 'SUCCESS', signingEnabled: true });
    delete records[name];
    expect(await ses.getDkim(domain)).toMatchObject({ status: 'PENDING' });
    client.destroy();
  });
});

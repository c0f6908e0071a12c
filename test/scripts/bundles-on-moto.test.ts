/**
 * The bundled handlers run outside Lambda: each bundle (`bundles/planner/index.js`, `bundles/worker/index.js`,
 * what `bundles/<name>.zip` holds) is loaded by a child `node` process, with exactly the environment the
 * synthesized Terraform gives its Lambda — read from the dev stack `synthesize()` writes, so this test cannot
 * drift from the construct — pointed at moto_server with the SDK's own `AWS_ENDPOINT_URL` (plus
 * `AWS_REGION` and dummy credentials), and at a DNS server on loopback with the runtime's DNS override
 * (`BYODKIM_AUTHORITATIVE_SERVERS`, `BYODKIM_RESOLVERS`: the Lambdas would ask the public DNS).
 *
 * What Terraform would have created is created in moto from the synthesized stack: the state table with its
 * kind-index, the SPEC items exactly as `aws_dynamodb_table_item` holds them, the work queue, the operator
 * topic, the SES identities, the key store KMS key and the Route 53 zones. The one change: moto picks its
 * own hosted-zone ids, so the route53-mode domain's SPEC item names moto's id for the configured one.
 *
 * moto lacks SES's two DKIM Put calls: the worker's SES traffic goes through the project's strict SES fake
 * in front of moto (test/support/aws-e2e-proxy.ts, `AWS_ENDPOINT_URL_SESV2`; every other service straight to
 * moto), which answers them as SES does (PKCS#1 key, existing identity, status from the record the loopback
 * DNS serves) and forwards the rest (`SendEmail`, the identity itself) to moto. The first reconcile adopts the
 * Easy DKIM identity, generates a key and publishes its record (route53 mode: in moto's zone), then waits
 * for DNS (the DNS server serves nothing yet). Then the DNS serves what moto's zone holds and the worker runs
 * again, later: the bundle's process clock is moved forward (`Date.now` shifted by the runner before the
 * bundle loads: the soak after verification lasts minutes), and it switches SES to the key through
 * `PutEmailIdentityDkimSigningAttributes`, signing on throughout.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
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
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { environments } from '../../envs';
import { HOSTED_ZONE_ID_PATTERN } from '../../functions/core/domain-rules';
import { LAMBDA_ENV, POWERTOOLS_ENV, STATE_TABLE, parseWorkerPayload } from '../../functions/core/contract';
import { synthesize } from '../../main';
import { startE2eProxy, type E2eProxy } from '../support/aws-e2e-proxy';
import { startTestDnsServer, type TestDnsServer, type ZoneNode } from '../support/dns-test-server';
import { launchMoto, MOTO_REGION, type Moto } from '../support/moto';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = path.resolve(__dirname, '..', '..');
const BUNDLE = (name: 'planner' | 'worker') => path.join(ROOT, 'bundles', name, 'index.js');

/** The dev stack as `synthesize()` writes it. */
function synthesizeDev(outdir: string): Json {
  const dev = environments.filter((e) => e.file === 'envs/dev.ts');
  const problems: string[] = [];
  expect(synthesize(dev, { outdir, stderr: (line) => problems.push(line) })).toBe(0);
  return JSON.parse(readFileSync(path.join(outdir, 'stacks', 'byodkim-dev', 'cdk.tf.json'), 'utf8')) as Json;
}

function only(stack: Json, type: string, match: (r: Json) => boolean = () => true): [string, Json] {
  const found = Object.entries((stack.resource[type] ?? {}) as Record<string, Json>).filter(([, r]) => match(r));
  expect(found).toHaveLength(1);
  return found[0];
}

/**
 * KMS CreateKey on moto (the project has no KMS client: the runtime never calls KMS itself). moto reads the
 * region from the credential scope and checks no signature.
 */
async function createKmsKey(moto: Moto, description: string): Promise<string> {
  const response = await fetch(moto.endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'TrentService.CreateKey',
      Authorization: `AWS4-HMAC-SHA256 Credential=testing/20261201/${MOTO_REGION}/kms/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ Description: description }),
  });
  expect(response.status).toBe(200);
  const arn = ((await response.json()) as { KeyMetadata: { Arn: string } }).KeyMetadata.Arn;
  expect(arn).toMatch(new RegExp(`^arn:aws:kms:${MOTO_REGION}:`));
  return arn;
}

/** A JavaScript stack trace line. */
const STACK_TRACE = /\n\s+at .+\(?.+:\d+:\d+\)?/;

/** The handler's JSON log lines (Powertools, EMF), the rest (node's warnings) left out. */
function logLines(output: string): Json[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Json);
}

/** What one invocation printed: the handler's answer and its log lines (stdout and stderr, one JSON each). */
interface Invocation {
  readonly answer: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly output: string;
  readonly code: number | null;
}

/**
 * Loads a bundle in a fresh `node` process with `env` only, calls `handler(event)`, returns its answer.
 * `clockOffsetMs` moves the process's clock (`Date.now`, which the runtime's clock reads) forward before the
 * bundle loads: the Lambda an hour later.
 */
async function invoke(
  bundle: string,
  env: Record<string, string>,
  event: unknown,
  dir: string,
  clockOffsetMs = 0,
): Promise<Invocation> {
  const answerFile = path.join(dir, `answer-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const runner = [
    'const [bundle, eventJson, out, offset] = process.argv.slice(1);',
    'if (Number(offset) !== 0) { const realNow = Date.now; Date.now = () => realNow() + Number(offset); }',
    'const { handler } = require(bundle);',
    "require('node:fs').writeFileSync(out, '');",
    'handler(JSON.parse(eventJson)).then(',
    "  (answer) => require('node:fs').writeFileSync(out, JSON.stringify(answer === undefined ? null : answer)),",
    '  (error) => { console.error(`REJECTED ${error && error.name}: ${error && error.message}`); process.exitCode = 2; },',
    ');',
  ].join('\n');
  const child = spawn(
    process.execPath,
    ['-e', runner, bundle, JSON.stringify(event), answerFile, String(clockOffsetMs)],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const text = readFileSync(answerFile, 'utf8');
  return { answer: text ? JSON.parse(text) : undefined, output, code };
}

describe('the bundled handlers on moto, with the environment Terraform gives them', () => {
  let moto: Moto;
  let dns: TestDnsServer;
  /** What the loopback DNS serves (edited by the test: what moto's zones hold once "propagated"). */
  const records: Record<string, ZoneNode> = {};
  /** The strict SES fake in front of moto: the worker's SES endpoint. */
  let ses: E2eProxy;
  /** How far the bundles' clock is ahead of this process's (the worker, later). */
  let clockOffsetMs = 0;
  let dir: string;
  let stack: Json;
  let plannerEnv: Record<string, string>;
  let workerEnv: Record<string, string>;
  let tableName: string;
  let queueUrl: string;
  const domains: string[] = [];
  /** Configured hosted-zone id → moto's. */
  let hostedZoneIds: Record<string, string>;
  /** Zone name → moto's id. */
  let zoneIdOf: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'byodkim-bundles-moto-'));
    // moto_server boots (a second or more of Python, in its own process) while the stack is synthesized.
    const launched = await launchMoto();
    try {
      stack = synthesizeDev(path.join(dir, 'out'));
    } finally {
      [moto, dns] = await Promise.all([
        launched.ready,
        // What the Lambdas' DNS would show before anyone published: nothing under the domains.
        startTestDnsServer({ role: 'authoritative', zones: ['example.com', 'example.org', 'example.net'], records }),
      ]);
    }
    ses = await startE2eProxy({ target: moto.endpoint, dnsServer: dns.address, now: () => Date.now() + clockOffsetMs });
    const config = moto.clientConfig;
    const refs: Record<string, string> = {};

    // The state table, as aws_dynamodb_table declares it.
    const [tableId, table] = only(stack, 'aws_dynamodb_table');
    tableName = table.name;
    const dynamodb = new DynamoDBClient(config);
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table.name,
        BillingMode: table.billing_mode,
        KeySchema: [
          { AttributeName: table.hash_key, KeyType: 'HASH' },
          { AttributeName: table.range_key, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: (table.attribute as Json[]).map((a) => ({
          AttributeName: a.name,
          AttributeType: a.type,
        })),
        GlobalSecondaryIndexes: (table.global_secondary_index as Json[]).map((g) => ({
          IndexName: g.name,
          KeySchema: [
            { AttributeName: g.hash_key, KeyType: 'HASH' },
            { AttributeName: g.range_key, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: g.projection_type },
        })),
      }),
    );
    refs[`aws_dynamodb_table.${tableId}.name`] = table.name;

    // The queues and the operator topic.
    const sqs = new SQSClient(config);
    for (const [id, queue] of Object.entries(stack.resource.aws_sqs_queue as Record<string, Json>)) {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queue.name }));
      refs[`aws_sqs_queue.${id}.url`] = QueueUrl!;
    }
    const [, workQueue] = only(stack, 'aws_sqs_queue', (q) => q.name.endsWith('-dkim-work'));
    queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: workQueue.name }))).QueueUrl!;
    // Every topic of the stack (the operator topic, and any other a Lambda's environment may name).
    for (const [topicId, topic] of Object.entries(stack.resource.aws_sns_topic as Record<string, Json>)) {
      const { TopicArn } = await new SNSClient(config).send(new CreateTopicCommand({ Name: topic.name }));
      refs[`aws_sns_topic.${topicId}.arn`] = TopicArn!;
    }

    // The KMS keys (the key store key is the worker's BYODKIM_KEY_STORE_KEY_ARN).
    for (const id of Object.keys(stack.resource.aws_kms_key as Record<string, Json>)) {
      refs[`aws_kms_key.${id}.arn`] = await createKmsKey(moto, id);
    }

    // The SES identities (Easy DKIM, as Terraform creates them).
    const sesClient = new SESv2Client(config);
    for (const identity of Object.values(stack.resource.aws_sesv2_email_identity as Record<string, Json>)) {
      await sesClient.send(new CreateEmailIdentityCommand({ EmailIdentity: identity.email_identity }));
      // As SES has it after Terraform created it and its Easy DKIM records were published: signing.
      ses.seedEasyDkim(identity.email_identity);
      domains.push(identity.email_identity);
    }

    // The Route 53 zones: the delegated zones Terraform owns, and the route53-mode domains' existing zones
    // (looked up by id: moto picks its own ids, so the domain's zone is created until moto's id looks like
    // one Route 53 gives, and the SPEC item names it).
    const route53 = new Route53Client(config);
    hostedZoneIds = {};
    zoneIdOf = {};
    for (const zone of Object.values((stack.resource.aws_route53_zone ?? {}) as Record<string, Json>)) {
      const { HostedZone } = await route53.send(
        new CreateHostedZoneCommand({ Name: zone.name, CallerReference: `byodkim-${zone.name}` }),
      );
      zoneIdOf[zone.name] = HostedZone!.Id!.replace(/^\/hostedzone\//, '');
    }
    const configuredZones = Object.values((stack.data?.aws_route53_zone ?? {}) as Record<string, Json>)
      .map((z) => z.zone_id as string | undefined)
      .filter((id): id is string => id !== undefined);
    for (const configured of configuredZones) {
      const spec = Object.values(stack.resource.aws_dynamodb_table_item as Record<string, Json>)
        .map((item) => JSON.parse(item.item as string) as Json)
        .find((item) => item.spec.M.dns.M.hostedZoneId?.S === configured)!;
      const name = spec.domain.S as string;
      let id: string | undefined;
      for (let attempt = 0; attempt < 500 && !id?.startsWith('Z'); attempt++) {
        if (id) await route53.send(new DeleteHostedZoneCommand({ Id: id }));
        const { HostedZone } = await route53.send(
          new CreateHostedZoneCommand({ Name: name, CallerReference: `byodkim-${name}-${attempt}` }),
        );
        id = HostedZone!.Id!.replace(/^\/hostedzone\//, '');
      }
      expect(id).toMatch(HOSTED_ZONE_ID_PATTERN);
      hostedZoneIds[configured] = id!;
      zoneIdOf[name] = id!;
    }

    // The SPEC items, exactly as aws_dynamodb_table_item holds them (but for moto's zone ids).
    for (const item of Object.values(stack.resource.aws_dynamodb_table_item as Record<string, Json>)) {
      expect(item.table_name).toBe(`\${aws_dynamodb_table.${tableId}.name}`);
      let text = item.item as string;
      for (const [configured, motoId] of Object.entries(hostedZoneIds)) {
        text = text.split(`"hostedZoneId":{"S":"${configured}"}`).join(`"hostedZoneId":{"S":"${motoId}"}`);
      }
      await dynamodb.send(new PutItemCommand({ TableName: table.name, Item: JSON.parse(text) }));
    }

    // The Lambdas' environments, references resolved to what moto created; nothing else of this process.
    const resolve = (vars: Record<string, string>): Record<string, string> =>
      Object.fromEntries(
        Object.entries(vars).map(([name, value]) => {
          const resolved = value.replace(/\$\{([\w.]+)\}/g, (_, ref: string) => {
            if (refs[ref] === undefined) throw new Error(`${name}: no moto resource for \${${ref}}`);
            return refs[ref];
          });
          return [name, resolved];
        }),
      );
    const variables = (suffix: string) =>
      only(stack, 'aws_lambda_function', (f) => f.function_name.endsWith(suffix))[1].environment.variables;
    const sdk = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AWS_REGION: MOTO_REGION,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
    };
    plannerEnv = { ...resolve(variables('-dkim-planner')), ...sdk };
    workerEnv = {
      ...resolve(variables('-dkim-worker')),
      ...sdk,
      [LAMBDA_ENV.authoritativeServers]: dns.address,
      [LAMBDA_ENV.resolvers]: dns.address,
      // SES v2 only: the strict fake that has the DKIM Put calls (it forwards the rest to moto).
      AWS_ENDPOINT_URL_SESV2: ses.endpoint,
    };
  }, 120_000);

  afterAll(async () => {
    await Promise.all([ses?.stop(), dns?.close()]);
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives each Lambda the variables of LAMBDA_ENV it reads (and Powertools its own)', () => {
    expect(Object.keys(plannerEnv)).toEqual(
      expect.arrayContaining([
        LAMBDA_ENV.environment,
        LAMBDA_ENV.stateTable,
        LAMBDA_ENV.workQueueUrl,
        LAMBDA_ENV.operatorTopicArn,
        POWERTOOLS_ENV.serviceName,
      ]),
    );
    expect(Object.keys(workerEnv)).toEqual(
      expect.arrayContaining([
        LAMBDA_ENV.environment,
        LAMBDA_ENV.stateTable,
        LAMBDA_ENV.secretPrefix,
        LAMBDA_ENV.keyStoreKeyArn,
        LAMBDA_ENV.operatorTopicArn,
        LAMBDA_ENV.dnsTeamSender,
        LAMBDA_ENV.operatorReplyTo,
      ]),
    );
    expect(plannerEnv[LAMBDA_ENV.workQueueUrl]).toBe(queueUrl);
    expect(workerEnv[LAMBDA_ENV.stateTable]).toBe(tableName);
  });

  let batch: { messageId: string; body: string; eventSource: string }[] = [];

  it('planner: a scheduled event puts one message per configured domain on the work queue', async () => {
    // The key manager's schedule: the one whose target is the planner (monitoring has schedules of its own).
    const scheduled = only(stack, 'aws_scheduler_schedule', (x) =>
      String((x.target as Json).arn).includes('Planner'),
    )[1];
    const event = JSON.parse(scheduled.target.input as string);
    const run = await invoke(BUNDLE('planner'), plannerEnv, event, dir);
    expect(run.code).toBe(0);
    expect(run.answer).toEqual({
      domains: domains.length,
      enqueued: domains.length,
      failed: [],
      orphaned: [],
      orphanReport: 'none',
    });
    const sqs = new SQSClient(moto.clientConfig);
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const messages = received.Messages ?? [];
    const bodies = messages.map((m) => JSON.parse(m.Body!));
    expect(bodies.map((b) => b.domain).sort()).toEqual([...domains].sort());
    for (const body of bodies) expect(parseWorkerPayload(body)).toEqual(body);
    batch = messages.map((m) => ({ messageId: m.MessageId!, body: m.Body!, eventSource: 'aws:sqs' }));
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(attributes.Attributes?.ApproximateNumberOfMessages).toBe('0');
  });

  it('worker: an SQS batch of those messages reconciles each domain (adoption, key, record) and reports no failure', async () => {
    expect(batch).toHaveLength(domains.length);
    const run = await invoke(BUNDLE('worker'), workerEnv, { Records: batch }, dir);
    expect({ code: run.code, answer: run.answer }).toEqual({ code: 0, answer: { batchItemFailures: [] } });
    expect(run.output).not.toMatch(STACK_TRACE);
    const lines = logLines(run.output);
    const dynamodb = new DynamoDBClient(moto.clientConfig);
    const publicKeys: Record<string, string> = {};
    for (const domain of domains) {
      // The log: one reconciled line per domain, done; the steps of a first reconcile, in order.
      expect(lines.filter((l) => l.message === 'worker.reconciled' && l.domain === domain)).toEqual([
        expect.objectContaining({ outcome: 'done', conflicts: 0 }),
      ]);
      const steps = lines.filter((l) => l.message === 'lifecycle.step' && l.domain === domain).map((l) => l.policy);
      expect(steps[0]).toBe('recordAdoption');
      expect(steps).toEqual(expect.arrayContaining(['startRotation', 'generateKey', 'publishRecord', 'verifyRecord']));
      expect(steps.indexOf('generateKey')).toBeLessThan(steps.indexOf('publishRecord'));

      // DynamoDB: the STATE item (compare-and-swap version) and one audit event per step.
      const { Item } = await dynamodb.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { pk: { S: `DOMAIN#${domain}` }, sk: { S: STATE_TABLE.stateSortKey } },
        }),
      );
      expect(Item).toMatchObject({ kind: { S: 'STATE' }, domain: { S: domain } });
      const state = JSON.parse(Item!.state.S!) as Json;
      expect(JSON.stringify(state)).not.toMatch(/PRIVATE KEY/);
      // Adopted: SES was signing with Easy DKIM (as the SES fake reports it); the first key awaits DNS.
      expect(state.adoption).toEqual({ observedAt: expect.any(Number), origin: 'AWS_SES', signingEnabled: true });
      expect(state.keys).toEqual([
        expect.objectContaining({
          state: 'dns-requested',
          reason: 'first-activation',
          publicKey: expect.stringMatching(/^MII/),
          route53InSyncAt: expect.any(Number),
        }),
      ]);
      expect(Number(Item!.version.N)).toBe(state.version);
      publicKeys[domain] = state.keys[0].publicKey;
      if (state.delegation) expect(state.delegation.request.deliveredAt).toEqual(expect.any(Number));
      const events = await dynamodb.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :event)',
          ExpressionAttributeValues: { ':pk': { S: `DOMAIN#${domain}` }, ':event': { S: 'EVENT#' } },
        }),
      );
      const policies = (events.Items ?? []).map((e: Record<string, AttributeValue>) => e.policy?.S);
      expect(policies).toEqual(expect.arrayContaining(['recordAdoption', 'generateKey', 'publishRecord']));
      for (const event of events.Items ?? []) expect(Number(event.expiresAt?.N)).toBeGreaterThan(Date.now() / 1000);
    }

    // Secrets Manager: one secret per domain, under the prefix Terraform gave the worker.
    const secrets = await new SecretsManagerClient(moto.clientConfig).send(new ListSecretsCommand({}));
    const prefix = workerEnv[LAMBDA_ENV.secretPrefix];
    expect((secrets.SecretList ?? []).map((x) => x.Name!.replace(/\/[^/]+$/, '')).sort()).toEqual(
      domains.map((d) => `${prefix}/${d}`).sort(),
    );
    // No key material in what the worker printed: no PEM marker, no secret value (nor its base64 body).
    expect(run.output).not.toMatch(/PRIVATE KEY/);
    for (const secret of secrets.SecretList ?? []) {
      const { SecretString } = await new SecretsManagerClient(moto.clientConfig).send(
        new GetSecretValueCommand({ SecretId: secret.ARN! }),
      );
      expect(SecretString?.length).toBeGreaterThan(100);
      for (const part of SecretString!.split(/\s+|-----[A-Z ]+-----|"/).filter((x) => x.length >= 40)) {
        expect(run.output).not.toContain(part.slice(0, 40));
      }
    }

    // Route 53: the new key's record in the route53-mode zone; the delegated zone's two selector slots.
    const txt = async (zone: string) =>
      Object.fromEntries(
        (
          (
            await new Route53Client(moto.clientConfig).send(
              new ListResourceRecordSetsCommand({ HostedZoneId: zoneIdOf[zone] }),
            )
          ).ResourceRecordSets ?? []
        )
          .filter((r) => r.Type === 'TXT')
          .map((r) => [r.Name!.replace(/\.$/, ''), (r.ResourceRecords ?? []).map((v) => v.Value!).join(' ')]),
      );
    const route53Domain = Object.keys(zoneIdOf).find((z) => domains.includes(z))!;
    const direct = await txt(route53Domain);
    const [directName] = Object.keys(direct);
    expect(Object.keys(direct)).toEqual([
      expect.stringMatching(new RegExp(`^byodkim-dev-\\d{8}-1\\._domainkey\\.${route53Domain.replace(/\./g, '\\.')}$`)),
    ]);
    expect(direct[directName].replace(/" "/g, '')).toBe(`"v=DKIM1; k=rsa; p=${publicKeys[route53Domain]}"`);
    const delegatedZone = Object.keys(zoneIdOf).find((z) => !domains.includes(z))!;
    const delegated = await txt(delegatedZone);
    expect(Object.keys(delegated).sort()).toEqual([`byodkim-dev1.${delegatedZone}`, `byodkim-dev2.${delegatedZone}`]);
    expect(delegated[`byodkim-dev1.${delegatedZone}`]).toMatch(/^"v=DKIM1; k=rsa; p=MII/);
    expect(delegated[`byodkim-dev2.${delegatedZone}`]).toMatch(/^"v=DKIM1; (k=rsa; )?p="$/);

    // The delegated domain's DNS team got the selector CNAME request through SES (moto's sent mail).
    const sent = (await (await fetch(`${moto.endpoint}/moto-api/data.json`)).json()) as {
      ses?: { Message?: { source: string; destinations: { ToAddresses?: string[] } }[] };
    };
    expect((sent.ses?.Message ?? []).map((m) => [m.source, m.destinations.ToAddresses])).toEqual([
      [workerEnv[LAMBDA_ENV.dnsTeamSender], ['dns-team@example.net']],
    ]);
  }, 60_000);

  it('worker: operator payloads get JSON with a status per domain', async () => {
    const domain = domains.find((d) => d.endsWith('.com'))!;
    const status = await invoke(BUNDLE('worker'), workerEnv, { action: 'status', domain, actor: 'alice' }, dir);
    expect(status.code).toBe(0);
    expect(status.answer).toEqual({
      status: 'ok',
      domains: [
        expect.objectContaining({
          action: 'status',
          domain,
          outcome: 'done',
          message: { en: expect.any(String), ja: expect.any(String) },
          conditions: expect.arrayContaining([expect.objectContaining({ type: expect.any(String) })]),
        }),
      ],
    });
    const rotate = await invoke(BUNDLE('worker'), workerEnv, { action: 'rotate', domain, actor: 'alice' }, dir);
    expect(rotate.code).toBe(0);
    // A first rotation is in flight (its record awaits DNS): a second one is refused, saying why.
    expect(rotate.answer).toEqual({
      status: 'ok',
      domains: [
        expect.objectContaining({
          action: 'rotate',
          domain,
          outcome: 'refused',
          code: 'ROTATION_IN_FLIGHT',
          message: { en: expect.any(String), ja: expect.any(String) },
        }),
      ],
    });
    const unknown = await invoke(BUNDLE('worker'), workerEnv, { action: 'status', domain: 'other.example.com' }, dir);
    expect(unknown.answer).toEqual({
      status: 'ok',
      domains: [expect.objectContaining({ domain: 'other.example.com', outcome: 'refused', code: 'UNKNOWN_DOMAIN' })],
    });
    for (const run of [status, rotate, unknown]) expect(run.output).not.toMatch(STACK_TRACE);
  }, 60_000);

  it.each<[string, unknown, string, RegExp]>([
    [
      'an unknown action',
      { action: 'explode', domain: 'dev.example.com' },
      'action',
      /action must be one of reconcile, status/,
    ],
    ['a missing domain', { action: 'status' }, 'domain', /domain must be a domain name/],
    ['an extra field', { action: 'status', domain: 'dev.example.com', force: true }, 'force', /force must be absent/],
  ])('worker: %s gets a typed JSON error naming the field, no stack trace', async (_name, payload, field, message) => {
    const run = await invoke(BUNDLE('worker'), workerEnv, payload, dir);
    expect(run.code).toBe(0);
    expect(run.answer).toEqual({
      status: 'error',
      error: { code: 'INVALID_PAYLOAD', field, message: expect.stringMatching(message) },
    });
    expect(JSON.stringify(run.answer)).not.toMatch(STACK_TRACE);
    expect(run.output).not.toMatch(STACK_TRACE);
  });

  it('planner: a domain with recorded state but no SPEC item is reported on the operator topic, never enqueued', async () => {
    const config = moto.clientConfig;
    const dynamodb = new DynamoDBClient(config);
    await dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: 'DOMAIN#gone.example.com' },
          sk: { S: STATE_TABLE.stateSortKey },
          kind: { S: 'STATE' },
          domain: { S: 'gone.example.com' },
          version: { N: '3' },
          state: { S: '{}' },
        },
      }),
    );
    // An operator subscribed to the topic: a queue, to read what SNS delivered.
    const sqs = new SQSClient(config);
    const { QueueUrl: inbox } = await sqs.send(new CreateQueueCommand({ QueueName: 'operator-inbox' }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: inbox, AttributeNames: ['QueueArn'] }),
    );
    await new SNSClient(config).send(
      new SubscribeCommand({
        TopicArn: plannerEnv[LAMBDA_ENV.operatorTopicArn],
        Protocol: 'sqs',
        Endpoint: Attributes!.QueueArn,
        Attributes: { RawMessageDelivery: 'false' },
      }),
    );
    // What the worker sent back to the queue earlier (its delayed requeues) is not the planner's: emptied first.
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    const run = await invoke(BUNDLE('planner'), plannerEnv, { source: 'byodkim.schedule' }, dir);
    expect(run.answer).toMatchObject({
      enqueued: domains.length,
      orphaned: ['gone.example.com'],
      orphanReport: 'sent',
    });
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(received.Messages).toHaveLength(1);
    const notice = JSON.parse(received.Messages![0].Body!) as { Subject: string; Message: string };
    expect(notice.Subject).toBe('[byodkim] WARNING dev: 1 orphaned domain (not configured, kept)');
    expect(notice.Message).toContain('- gone.example.com');
    const queued = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect((queued.Messages ?? []).map((m) => JSON.parse(m.Body!).domain).sort()).toEqual([...domains].sort());
    // Never torn down: the STATE item is where it was.
    const { Item } = await dynamodb.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'DOMAIN#gone.example.com' }, sk: { S: 'STATE' } } }),
    );
    expect(Item?.version).toEqual({ N: '3' });
  });
  it('worker: once the record is served, a later run switches SES to the key through the strict SES fake (the DKIM Put calls)', async () => {
    const domain = Object.keys(zoneIdOf).find((z) => domains.includes(z))!;
    // The DNS now serves what moto's zone holds (Route 53 has propagated the record).
    const { ResourceRecordSets } = await new Route53Client(moto.clientConfig).send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneIdOf[domain] }),
    );
    for (const set of (ResourceRecordSets ?? []).filter((r) => r.Type === 'TXT')) {
      records[set.Name!.replace(/\.$/, '').toLowerCase()] = {
        TXT: (set.ResourceRecords ?? []).map((r) =>
          [...r.Value!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1')),
        ),
      };
    }
    const dynamodb = new DynamoDBClient(moto.clientConfig);
    const stateOf = async () => {
      const { Item } = await dynamodb.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: { S: `DOMAIN#${domain}` }, sk: { S: 'STATE' } } }),
      );
      return JSON.parse(Item!.state.S!) as Json;
    };
    const [key] = (await stateOf()).keys as Json[];
    const message = { kind: 'reconcile', domain, enqueuedAt: new Date().toISOString() };
    const runs: { offsetH: number; steps: string[]; output: string }[] = [];
    // The worker an hour later each time (the record verified, then the soak), until SES signs with the key.
    for (let hours = 1; hours <= 4 && !ses.switches.some((x) => x.domain === domain); hours += 1) {
      clockOffsetMs = hours * 3_600_000;
      const run = await invoke(
        BUNDLE('worker'),
        workerEnv,
        { Records: [{ messageId: `later-${hours}`, body: JSON.stringify(message), eventSource: 'aws:sqs' }] },
        dir,
        clockOffsetMs,
      );
      expect({ code: run.code, answer: run.answer }).toEqual({ code: 0, answer: { batchItemFailures: [] } });
      expect(run.output).not.toMatch(STACK_TRACE);
      const steps = logLines(run.output)
        .filter((l) => l.message === 'lifecycle.step' && l.domain === domain)
        .map((l) => l.policy as string);
      runs.push({ offsetH: hours, steps, output: run.output });
    }
    // SES was given the key the record carries, after the record verified, and kept signing throughout.
    expect(ses.switches.filter((x) => x.domain === domain).map(({ at: _at, ...rest }) => rest)).toEqual([
      {
        domain,
        call: 'PutEmailIdentityDkimSigningAttributes',
        selector: key.selector,
        recordVerified: true,
        publicKey: key.publicKey,
      },
    ]);
    expect(ses.dkim.get(domain)).toEqual({
      origin: 'EXTERNAL',
      signingEnabled: true,
      selector: key.selector,
      tokens: [key.selector],
      publicKey: key.publicKey,
    });
    expect(ses.timeline.filter((p) => p.domain === domain).every((p) => p.signed)).toBe(true);
    const state = await stateOf();
    expect(state.keys).toEqual([expect.objectContaining({ keyId: key.keyId, state: 'active' })]);
    expect(runs.flatMap((r) => r.steps)).toEqual(expect.arrayContaining(['verifyRecord', 'activateVerifiedKey']));
    for (const run of runs) expect(run.output).not.toMatch(/PRIVATE KEY/);
  }, 60_000);
});

/**
 * `terraform apply` of the dev stack on moto, then the bundled handlers run with the environment Terraform
 * gave the Lambdas (read back from the state). Not part of `npm test`: the apply takes minutes (the AWS
 * provider waits about 25 s for each SQS queue's attributes and again for the redrive allow policy, one
 * after the other: ~77 s of waiting by itself; 117–241 s in all measured on the shared 2-core machine,
 * against the suite's 3-minute budget; with the bundles run after it, 172 s). Run it by hand:
 *
 *     npm run test:apply      (.ci/run runs it after npm test)
 *
 * It goes through test/support/moto-terraform-proxy.ts, which corrects what moto 5.2 answers wrongly
 * (SES v2 `GetConfigurationSet`; SQS `RedriveAllowPolicy`, accepted but never returned). The stack is the
 * synthesized one, changed only as `pointAtMoto` changes it (endpoints, credentials checks, the hosted
 * zone's id moto chose). Exits non-zero, saying what failed, when the apply or a handler fails.
 */
import { spawn } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CreateHostedZoneCommand, DeleteHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { environments } from '../../envs';
import { LAMBDA_ENV } from '../../functions/core/contract';
import { HOSTED_ZONE_ID_PATTERN } from '../../functions/core/domain-rules';
import { loadEnvironments } from '../../envs/load';
import { startE2eProxy } from '../support/aws-e2e-proxy';
import { startTestDnsServer } from '../support/dns-test-server';
import { MOTO_ACCOUNT_ID, MOTO_REGION, startMoto } from '../support/moto';
import { startMotoProxy } from '../support/moto-terraform-proxy';
import { pointAtMoto, prepareTerraformStacks, runTerraform, terraform } from '../support/terraform';

const ROOT = path.resolve(__dirname, '..', '..');

interface StateResource {
  readonly type: string;
  readonly values: Record<string, unknown>;
}

/**
 * Loads a bundle in a fresh `node` with `env` only and returns `handler(event)`'s answer (asynchronously:
 * the SES fake and the DNS server it talks to run in this process).
 */
async function invoke(name: 'planner' | 'worker', env: Record<string, string>, event: unknown): Promise<unknown> {
  const runner = [
    'const { handler } = require(process.argv[1]);',
    'handler(JSON.parse(process.argv[2])).then((a) => process.stdout.write("\\nANSWER " + JSON.stringify(a) + "\\n"),',
    '  (e) => { process.stdout.write("\\nREJECTED " + (e && e.message) + "\\n"); process.exitCode = 2; });',
  ].join('\n');
  const child = spawn(
    process.execPath,
    ['-e', runner, path.join(ROOT, 'bundles', name, 'index.js'), JSON.stringify(event)],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const answer = /\nANSWER (.*)\n/.exec(stdout)?.[1];
  if (code !== 0 || answer === undefined)
    throw new Error(`${name} bundle failed (exit ${code}):\n${stdout}\n${stderr}`);
  // What went wrong, when something did: the handler's warning and error lines.
  for (const line of `${stdout}\n${stderr}`.split('\n'))
    if (/"level":"(WARN|ERROR)"/.test(line)) console.log(`  ${name}: ${line}`);
  return JSON.parse(answer) as unknown;
}

async function main(): Promise<void> {
  const started = Date.now();
  const [workspace, moto] = await Promise.all([prepareTerraformStacks(), startMoto()]);
  const proxy = await startMotoProxy(moto.endpoint);
  const dns = await startTestDnsServer({
    role: 'authoritative',
    zones: ['example.com', 'example.org', 'example.net'],
    records: {},
  });
  const ses = await startE2eProxy({ target: moto.endpoint, dnsServer: dns.address, now: () => Date.now() });
  try {
    const dev = loadEnvironments(environments).environments.find(({ config }) => config.environment === 'dev');
    if (!dev) throw new Error('no dev environment in envs/index.ts');
    const route53 = new Route53Client(moto.clientConfig);
    const zoneIds: Record<string, string> = {};
    for (const domain of dev.config.domains) {
      if (domain.dns.kind !== 'route53') continue;
      // moto picks random ids; the SPEC item's rule wants Route 53's shape (Z…): create until one has it.
      let id: string | undefined;
      for (let attempt = 0; attempt < 500 && !(id !== undefined && HOSTED_ZONE_ID_PATTERN.test(id)); attempt++) {
        if (id) await route53.send(new DeleteHostedZoneCommand({ Id: id }));
        const created = await route53.send(
          new CreateHostedZoneCommand({ Name: domain.domain, CallerReference: `apply-${domain.domain}-${attempt}` }),
        );
        id = created.HostedZone!.Id!.replace('/hostedzone/', '');
      }
      zoneIds[domain.dns.hostedZoneId] = id!;
    }
    route53.destroy();
    const stack = workspace.stack('byodkim-dev');
    const dir = path.join(workspace.root, 'apply');
    cpSync(stack.dir, dir, { recursive: true });
    const json = pointAtMoto(stack.read(), {
      endpoint: proxy.endpoint,
      accountId: MOTO_ACCOUNT_ID,
      replaceIds: zoneIds,
    });
    writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify(json, null, 2));

    const applyStarted = Date.now();
    const apply = await runTerraform(
      ['apply', '-auto-approve', '-input=false', '-no-color', '-lock=false', '-parallelism=20'],
      dir,
      workspace.env,
      900_000,
    );
    const applySeconds = (Date.now() - applyStarted) / 1000;
    if (apply.code !== 0)
      throw new Error(`terraform apply failed (exit ${apply.code}):\n${apply.stdout}${apply.stderr}`);
    console.log(
      `${/Apply complete![^\n]*/.exec(apply.stdout)?.[0]} in ${applySeconds.toFixed(0)} s; proxy corrections: ${proxy.corrections()}`,
    );

    // The Lambdas' environments as Terraform set them.
    const shown = JSON.parse(await terraform(['show', '-json', '-no-color'], dir, workspace.env)) as {
      values: { root_module: { resources: StateResource[] } };
    };
    const resources = shown.values.root_module.resources;
    const variablesOf = (suffix: string): Record<string, string> => {
      const fn = resources.find(
        (r) => r.type === 'aws_lambda_function' && String(r.values.function_name).endsWith(suffix),
      );
      const environment = fn?.values.environment as { variables?: Record<string, string> }[] | undefined;
      if (!environment?.[0]?.variables) throw new Error(`no Lambda *${suffix} with an environment in the state`);
      return environment[0].variables;
    };
    const sdk = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AWS_REGION: MOTO_REGION,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
    };
    const plannerEnv: Record<string, string> = { ...variablesOf('-dkim-planner'), ...sdk };
    const workerEnv = {
      ...variablesOf('-dkim-worker'),
      ...sdk,
      AWS_ENDPOINT_URL_SESV2: ses.endpoint,
      [LAMBDA_ENV.authoritativeServers]: dns.address,
      [LAMBDA_ENV.resolvers]: dns.address,
    };
    const identities = resources
      .filter((r) => r.type === 'aws_sesv2_email_identity')
      .map((r) => String(r.values.email_identity));
    for (const identity of identities) ses.seedEasyDkim(identity);

    // The planner enqueues the domains Terraform wrote as SPEC items; the worker reconciles the batch.
    const planned = (await invoke('planner', plannerEnv, { source: 'aws.scheduler' })) as {
      domains: number;
      enqueued: number;
    };
    console.log(`planner: ${JSON.stringify(planned)}`);
    if (planned.enqueued !== identities.length)
      throw new Error(`planner enqueued ${planned.enqueued} of ${identities.length}`);
    const sqs = new SQSClient(moto.clientConfig);
    const queueUrl = plannerEnv[LAMBDA_ENV.workQueueUrl]!;
    const records: { messageId: string; body: string; eventSource: string }[] = [];
    for (let i = 0; i < 10 && records.length < identities.length; i++) {
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
      );
      for (const m of received.Messages ?? [])
        records.push({ messageId: m.MessageId!, body: m.Body!, eventSource: 'aws:sqs' });
      if (received.Messages?.length)
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: received.Messages.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
    }
    sqs.destroy();
    const worked = (await invoke('worker', workerEnv, { Records: records })) as { batchItemFailures: unknown[] };
    console.log(`worker: ${records.length} messages, ${JSON.stringify(worked)}`);
    if (worked.batchItemFailures.length > 0) throw new Error('the worker reported failures');
    console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await Promise.allSettled([ses.stop(), dns.close(), proxy.stop()]);
    await moto.stop();
    workspace.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});

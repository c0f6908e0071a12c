/**
 * Terraform itself, not only its JSON: `terraform init` from the local provider mirror and
 * `terraform validate` on every environment's synthesized stack, and `terraform plan` of the dev stack
 * against the AWS emulator (moto_server). All offline; see test/support/terraform.ts for what the copies
 * change (provider pin, backend, and for the plan the endpoints and the allowed account) — the stacks
 * themselves are never changed.
 *
 * The validation and the plan run at the same time (the provider loads its schema for several seconds in
 * every Terraform process): beforeAll starts them, each test awaits its own. The three stacks are validated
 * in one Terraform process, as child modules of one root (validateStacks: the schema loaded once, not three
 * times; each stack's diagnostics handed back to it). The validation runs niced, so that the plan and the
 * `terraform show` after it, the longer path, go first on a 2-core machine.
 *
 * No `terraform apply` here: on moto it succeeds (61 resources) through test/support/moto-terraform-proxy.ts,
 * which corrects moto's SES v2 `GetConfigurationSet` and SQS `RedriveAllowPolicy` answers, but it takes
 * minutes — the provider waits ~25 s for each SQS queue's attributes and again for the redrive allow policy,
 * one after the other (117–241 s in all on the shared 2-core machine) — far beyond the suite's budget. It is run
 * by hand, with the bundles then run on the environment Terraform gave the Lambdas:
 * test/terraform/apply-dev-on-moto.ts.
 */
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { environments } from '../../envs';
import { loadEnvironments } from '../../envs/load';
import { MOTO_ACCOUNT_ID, startMoto, type Moto } from '../support/moto';
import {
  formatDiagnostic,
  pointAtMoto,
  prepareTerraformStacks,
  terraform,
  validateStacks,
  type PlanJson,
  type TerraformWorkspace,
  type ValidateResult,
} from '../support/terraform';

const DEV = 'byodkim-dev';

/** Seconds each step took since the file started (printed when BYODKIM_TERRAFORM_TIMING is set). */
const timings: string[] = [];
const started = Date.now();
function mark(step: string): void {
  timings.push(`${step} ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

interface Planned {
  /** The copy the plan ran on, after {@link pointAtMoto}; its saved plan is `plan.bin`. */
  readonly dir: string;
  /** Hosted zone id named by the env file → id moto gave the zone. */
  readonly zoneIds: Record<string, string>;
  /** What `terraform plan` printed. */
  readonly output: string;
}

/** Keeps a promise's rejection for the test that awaits it (no unhandled rejection in between). */
function later<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * The dev stack planned against moto: the hosted zones of its route53-mode domains created first (the
 * stack reads them with data sources). moto chooses a zone's id itself, so the env file's id is replaced
 * by moto's everywhere in the copy.
 */
async function planDev(workspace: TerraformWorkspace, moto: Moto): Promise<Planned> {
  const dev = loadEnvironments(environments).environments.find(({ config }) => config.environment === 'dev');
  if (!dev) throw new Error('no dev environment in envs/index.ts');
  const route53 = new Route53Client(moto.clientConfig);
  const zoneIds: Record<string, string> = {};
  try {
    for (const domain of dev.config.domains) {
      if (domain.dns.kind !== 'route53') continue;
      const created = await route53.send(
        new CreateHostedZoneCommand({ Name: domain.domain, CallerReference: `terraform-test-${domain.domain}` }),
      );
      zoneIds[domain.dns.hostedZoneId] = created.HostedZone!.Id!.replace('/hostedzone/', '');
    }
  } finally {
    route53.destroy();
  }

  const stack = workspace.stack(DEV);
  const dir = path.join(workspace.root, 'plan', DEV);
  cpSync(stack.dir, dir, { recursive: true });
  const json = pointAtMoto(stack.read(), { endpoint: moto.endpoint, accountId: MOTO_ACCOUNT_ID, replaceIds: zoneIds });
  writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify(json, null, 2));

  const output = await terraform(
    ['plan', '-input=false', '-no-color', '-lock=false', '-out=plan.bin'],
    dir,
    workspace.env,
  );
  mark(`plan (${/Plan: [^\n]*/.exec(output)?.[0] ?? 'no summary'})`);
  return { dir, zoneIds, output };
}

/** `terraform show -json` of the saved plan. */
async function showPlan(workspace: TerraformWorkspace, planned: Planned): Promise<PlanJson> {
  const plan = JSON.parse(
    await terraform(['show', '-json', '-no-color', 'plan.bin'], planned.dir, workspace.env),
  ) as PlanJson;
  mark('show');
  return plan;
}

describe('Terraform over the synthesized stacks (offline, provider from the local mirror)', () => {
  let workspace: TerraformWorkspace | undefined;
  let moto: Moto | undefined;
  let validations: Promise<Array<{ name: string; result: ValidateResult }>>;
  let planned: Promise<Planned>;
  let shown: Promise<PlanJson>;
  beforeAll(async () => {
    const [ws, emulator] = await Promise.all([prepareTerraformStacks(), startMoto()]);
    mark('synth+init, moto');
    workspace = ws;
    moto = emulator;
    validations = later(
      validateStacks(ws, 10).then((results) => {
        mark('validate');
        return results;
      }),
    );
    planned = later(planDev(ws, emulator));
    shown = later(planned.then((plan) => showPlan(ws, plan)));
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([validations, planned, shown]);
    await moto?.stop();
    workspace?.dispose();
    if (process.env.BYODKIM_TERRAFORM_TIMING) {
      process.stderr.write(`terraform tests: ${timings.join(', ')}\n`);
    }
  }, 60_000);

  it('synthesizes dev, stg and prod, pinned to the mirror version with a local backend in the copy', () => {
    expect(workspace!.stacks.map((stack) => stack.name)).toEqual(['byodkim-dev', 'byodkim-stg', 'byodkim-prod']);
    for (const stack of workspace!.stacks) {
      // What the copy changed, and that the stack itself pins what the project ships.
      expect(stack.synthesized.terraform.backend).toHaveProperty('s3');
      expect(stack.read().terraform.backend).toEqual({ local: { path: 'terraform.tfstate' } });
      expect(stack.read().terraform.required_providers.aws.version).toBe(workspace!.mirror.version);
    }
  });

  it('terraform validate: every environment valid, 0 errors', async () => {
    const results = await validations;
    expect(results.map(({ name }) => name)).toEqual(['byodkim-dev', 'byodkim-stg', 'byodkim-prod']);
    const errors = results.flatMap(({ name, result }) =>
      result.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(name, d)),
    );
    expect(errors).toEqual([]);
    for (const { name, result } of results) {
      expect({ name, valid: result.valid, errors: result.error_count }).toEqual({ name, valid: true, errors: 0 });
    }
    const warnings = results.flatMap(({ name, result }) =>
      result.diagnostics.filter((d) => d.severity === 'warning').map((d) => formatDiagnostic(name, d)),
    );
    // Warnings do not fail the suite; they are shown so that they get read.
    if (warnings.length > 0) process.stderr.write(`terraform validate warnings:\n${warnings.join('\n')}\n`);
  }, 120_000);

  it('terraform plan of dev against moto: every resource of the stack to create, the hosted zone read from the emulator', async () => {
    const { zoneIds, output } = await planned;
    const plan = await shown;
    expect(plan.errored ?? false).toBe(false);
    expect(Object.keys(zoneIds)).toEqual(['Z0DEV00000000000000001']);

    const changes = plan.resource_changes ?? [];
    const managed = changes.filter((change) => change.mode === 'managed');
    // A fresh state: everything is created, nothing else.
    expect(managed.filter((change) => change.change.actions.join() !== 'create').map((c) => c.address)).toEqual([]);
    const addresses = managed.map((change) => change.address);

    // Every resource the stack declares is in the plan (a resource with count/for_each as its instances).
    const synthesized = workspace!.stack(DEV).synthesized;
    const missing = Object.entries(synthesized.resource ?? {})
      .flatMap(([type, resources]) => Object.keys(resources).map((name) => `${type}.${name}`))
      .filter((address) => !addresses.some((a) => a === address || a.startsWith(`${address}[`)));
    expect(missing).toEqual([]);

    // A few by address, with what they are planned as.
    const after = (address: string) => managed.find((change) => change.address === address)?.change.after;
    expect(after('aws_kms_key.ByodkimKeyStoreKey_4CA461B6')).toMatchObject({ enable_key_rotation: true });
    expect(after('aws_kms_alias.ByodkimKeyStoreKey_Alias_C9747A79')).toMatchObject({
      name: 'alias/byodkim-dev-key-store',
    });
    expect(after('aws_sesv2_email_identity.devexamplecom_EmailIdentity_EE2738ED')).toMatchObject({
      email_identity: 'dev.example.com',
    });
    expect(after('aws_sesv2_email_identity.devexampleorg_EmailIdentity_65599E2C')).toMatchObject({
      email_identity: 'dev.example.org',
    });
    expect(after('aws_route53_zone.devexampleorg_DelegatedZone_26B19EEC')).toMatchObject({
      name: 'dkim-dev.example.net',
    });

    // The route53-mode domain's zone came from the emulator, through the data source and its postconditions.
    const zone = plan.prior_state?.values?.root_module?.resources?.find(
      (resource) => resource.address === 'data.aws_route53_zone.devexamplecom_HostedZone_A6CB7120',
    );
    expect(zone?.values).toMatchObject({
      zone_id: zoneIds.Z0DEV00000000000000001,
      name: 'dev.example.com',
      private_zone: false,
    });
    expect(output).toMatch(/Plan: \d+ to add, 0 to change, 0 to destroy\./);
  }, 120_000);
});

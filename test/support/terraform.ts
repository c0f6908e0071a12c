/**
 * Real Terraform over the synthesized stacks, offline: this kind of machine has Terraform (≥ 1.10) on PATH
 * and the hashicorp/aws provider in a local filesystem plugin mirror, and no provider registry (see
 * docs/design.md, "Testing against real AWS APIs here"). `.ci/run` checks both before `npm ci`.
 *
 * What a test gets from {@link prepareTerraformStacks}: every environment synthesized in process (main.ts's
 * `synthesize()`) into a temporary directory, each stack's `cdk.tf.json` rewritten *in that copy only* so
 * that Terraform can run here — the provider pin relaxed to the mirror's version, the S3 backend replaced by
 * a local one — and `terraform init` done from the mirror through a CLI config file (`TF_CLI_CONFIG_FILE`)
 * whose `provider_installation` names it, once, its result shared by the stacks. {@link pointAtMoto}
 * then aims a copy at the AWS emulator. The stacks themselves are never changed.
 *
 * Nothing here skips: a missing `terraform` or mirror fails with what to install.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, setPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { synthesize } from '../../main';
import { environments } from '../../envs';

/** The provider the stacks use, as Terraform names it in a mirror. */
export const AWS_PROVIDER = 'registry.terraform.io/hashicorp/aws';

/** Terraform's platform name for this machine, e.g. `linux_amd64`. */
export function terraformPlatform(): string {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };
  return `${process.platform}_${arch[process.arch] ?? process.arch}`;
}

/**
 * Where a filesystem mirror of the AWS provider may be, in the order searched: `TF_PROVIDER_MIRROR` when
 * set, where this kind of machine keeps it (/opt/tf-plugins), then Terraform's own implied mirror
 * directories on Unix. `.ci/run` searches the same list.
 */
export function mirrorCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = homedir();
  const xdgData = (env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':').filter(Boolean);
  return [
    ...(env.TF_PROVIDER_MIRROR ? [env.TF_PROVIDER_MIRROR] : []),
    '/opt/tf-plugins',
    path.join(home, '.terraform.d', 'plugins'),
    path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'terraform', 'plugins'),
    ...xdgData.map((dir) => path.join(dir, 'terraform', 'plugins')),
  ];
}

export interface ProviderMirror {
  /** The mirror's root: the directory that holds `registry.terraform.io/`. */
  readonly path: string;
  /** The newest AWS provider version it holds for this platform, e.g. `5.100.0`. */
  readonly version: string;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0);
  const pb = b.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * The first candidate directory that holds an unpacked AWS provider binary for this platform
 * (`registry.terraform.io/hashicorp/aws/<version>/<os_arch>/terraform-provider-aws*`); throws with what to
 * install when there is none.
 */
export function findProviderMirror(candidates: readonly string[] = mirrorCandidates()): ProviderMirror {
  const platform = terraformPlatform();
  for (const root of candidates) {
    const providerDir = path.join(root, ...AWS_PROVIDER.split('/'));
    if (!existsSync(providerDir)) continue;
    const versions = readdirSync(providerDir)
      .filter((version) => {
        const dir = path.join(providerDir, version, platform);
        return existsSync(dir) && readdirSync(dir).some((file) => file.startsWith('terraform-provider-aws'));
      })
      .sort(compareVersions);
    if (versions.length > 0) return { path: root, version: versions[versions.length - 1] };
  }
  throw new Error(
    `No filesystem mirror of the hashicorp/aws provider for ${platform} was found: the Terraform tests need ` +
      `${AWS_PROVIDER}/<version>/${platform}/terraform-provider-aws_* (unpacked layout) under one of: ` +
      `${candidates.join(', ')}. Install it there, e.g. on a machine with registry access ` +
      '`terraform providers mirror -platform=' +
      `${platform} <dir>` +
      '` followed by unzipping the package, or set TF_PROVIDER_MIRROR to its root.',
  );
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment Terraform runs in: no inherited TF_ or AWS_ settings, no checkpoint calls. */
function terraformEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(TF_|AWS_)/.test(key)) env[key] = value;
  }
  return {
    ...env,
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

/**
 * Runs `terraform <args>` in `cwd`; resolves with its exit code and output (never rejects on exit code).
 * `nice` (0–19) lowers its CPU priority, and its provider's (set before Terraform starts the provider): work
 * that is not on the critical path yields to the rest.
 */
export function runTerraform(
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
  nice = 0,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'terraform',
      [...args],
      { cwd, env: terraformEnv(env), timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new Error(
              'terraform is not on PATH: the Terraform tests need Terraform >= 1.10 (this kind of machine has 1.11); .ci/run checks for it',
            ),
          );
          return;
        }
        if (error && error.killed) {
          reject(
            new Error(`terraform ${args.join(' ')} timed out after ${timeoutMs} ms in ${cwd}:\n${stdout}${stderr}`),
          );
          return;
        }
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (nice > 0 && child.pid !== undefined) {
      try {
        setPriority(child.pid, nice);
      } catch {
        // best effort: only the timing depends on it
      }
    }
  });
}

/** Like {@link runTerraform}, but throws with Terraform's output unless it exits 0. */
export async function terraform(
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs?: number,
): Promise<string> {
  const result = await runTerraform(args, cwd, env, timeoutMs);
  if (result.code !== 0) {
    throw new Error(
      `terraform ${args.join(' ')} failed (exit ${result.code}) in ${cwd}:\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}

/** A synthesized stack (Terraform JSON), loosely typed: tests read and rewrite it. */
export type StackJson = {
  terraform: {
    backend?: Record<string, unknown>;
    required_providers: Record<string, { source?: string; version?: string }>;
    [key: string]: unknown;
  };
  provider: { aws: Array<Record<string, unknown>> };
  resource?: Record<string, Record<string, unknown>>;
  data?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
};

export interface TerraformStack {
  /** The stack's name, e.g. `byodkim-dev`. */
  readonly name: string;
  /** Its directory in the temporary copy (`cdk.tf.json` plus any assets). */
  readonly dir: string;
  /** The stack as synthesized, before any rewriting. */
  readonly synthesized: StackJson;
  /** Reads the copy's current `cdk.tf.json`. */
  read(): StackJson;
  /** Replaces the copy's `cdk.tf.json`. */
  write(stack: StackJson): void;
}

export interface TerraformWorkspace {
  readonly root: string;
  readonly mirror: ProviderMirror;
  /** The stacks, in the app's order (dev, stg, prod). */
  readonly stacks: readonly TerraformStack[];
  /** TF_CLI_CONFIG_FILE and TF_PLUGIN_CACHE_DIR for every Terraform command run on these stacks. */
  readonly env: NodeJS.ProcessEnv;
  stack(name: string): TerraformStack;
  /** Deletes the temporary directory. */
  dispose(): void;
}

/**
 * The copy's rewrite for running here: the AWS provider pinned to the mirror's version instead of the
 * stack's, and a local backend instead of S3 (no bucket, no credentials).
 */
export function relaxForMirror(stack: StackJson, mirror: ProviderMirror): StackJson {
  const copy = structuredClone(stack);
  const aws = copy.terraform.required_providers.aws;
  if (!aws) throw new Error('the stack has no required_providers.aws');
  aws.version = mirror.version;
  copy.terraform.backend = { local: { path: 'terraform.tfstate' } };
  return copy;
}

/** The CLI config file: the AWS provider from the mirror only, everything else nowhere (no registry here). */
export function cliConfig(mirror: ProviderMirror): string {
  return [
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${JSON.stringify(mirror.path)}`,
    `    include = [${JSON.stringify(AWS_PROVIDER)}]`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * Synthesizes every environment into a temporary directory, rewrites each stack for the mirror
 * ({@link relaxForMirror}) and runs `terraform init` on each, sharing one plugin cache (the first init fills
 * it, the others run in parallel from it).
 */
export async function prepareTerraformStacks(): Promise<TerraformWorkspace> {
  const mirror = findProviderMirror();
  const root = mkdtempSync(path.join(tmpdir(), 'byodkim-terraform-'));
  try {
    const outdir = path.join(root, 'cdktf.out');
    const problems: string[] = [];
    const code = synthesize(environments, { outdir, stderr: (line) => problems.push(line) });
    if (code !== 0) throw new Error(`synthesize() failed:\n${problems.join('\n')}`);

    const cliConfigFile = path.join(root, 'terraform.rc');
    writeFileSync(cliConfigFile, cliConfig(mirror));
    const pluginCache = path.join(root, 'plugin-cache');
    mkdirSync(pluginCache);
    const env = { TF_CLI_CONFIG_FILE: cliConfigFile, TF_PLUGIN_CACHE_DIR: pluginCache };

    const stacksDir = path.join(outdir, 'stacks');
    const stacks: TerraformStack[] = readdirSync(stacksDir)
      .sort((a, b) => order(a) - order(b))
      .map((name) => {
        const dir = path.join(stacksDir, name);
        const file = path.join(dir, 'cdk.tf.json');
        const synthesized = JSON.parse(readFileSync(file, 'utf8')) as StackJson;
        const stack: TerraformStack = {
          name,
          dir,
          synthesized,
          read: () => JSON.parse(readFileSync(file, 'utf8')) as StackJson,
          write: (json) => writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`),
        };
        stack.write(relaxForMirror(synthesized, mirror));
        return stack;
      });
    if (stacks.length === 0) throw new Error(`synthesize() wrote no stack under ${stacksDir}`);

    // One `terraform init`, reused: the stacks need the same provider and have the same (local) backend,
    // so the others get a copy of its .terraform (the provider is a link into the plugin cache) and lock file.
    await terraform(['init', '-input=false', '-no-color'], stacks[0].dir, env);
    for (const stack of stacks.slice(1)) {
      for (const entry of ['.terraform', '.terraform.lock.hcl']) {
        cpSync(path.join(stacks[0].dir, entry), path.join(stack.dir, entry), { recursive: true });
      }
    }

    return {
      root,
      mirror,
      stacks,
      env,
      stack(name) {
        const found = stacks.find((stack) => stack.name === name);
        if (!found) throw new Error(`no stack ${name}; have ${stacks.map((stack) => stack.name).join(', ')}`);
        return found;
      },
      dispose: () => rmSync(root, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

/** dev, stg, prod first, in that order; anything else after them by name. */
function order(stackName: string): number {
  const index = ['byodkim-dev', 'byodkim-stg', 'byodkim-prod'].indexOf(stackName);
  return index === -1 ? 100 : index;
}

/** One diagnostic of `terraform validate -json`. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly summary: string;
  readonly detail?: string;
  readonly address?: string;
  readonly range?: { filename: string; start: { line: number } };
}

export interface ValidateResult {
  readonly valid: boolean;
  readonly error_count: number;
  readonly warning_count: number;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * `terraform validate -json` on an initialized stack. `nice` as for {@link runTerraform}: the tests run the
 * validations niced beside the plan, which has more to do after them.
 */
export async function validate(stack: TerraformStack, env: NodeJS.ProcessEnv, nice = 0): Promise<ValidateResult> {
  const result = await runTerraform(['validate', '-json', '-no-color'], stack.dir, env, 120_000, nice);
  try {
    return JSON.parse(result.stdout) as ValidateResult;
  } catch {
    throw new Error(
      `terraform validate -json gave no JSON in ${stack.dir} (exit ${result.code}):\n${result.stdout}${result.stderr}`,
    );
  }
}

/** Terraform's warning for a backend block in a module called as a child, as {@link validateStacks} does. */
const CHILD_BACKEND_WARNING = 'Backend configuration ignored';

/**
 * `terraform validate -json` of every stack in one Terraform process: a root module in `<root>/validate`
 * calls each stack's directory as a child module, and its diagnostics are handed back to the stack whose
 * files they name (one without a file goes to every stack). Terraform validates a called module as it
 * validates a root one — every resource, data source and provider block against the provider's schema —
 * and the provider's schema, the bulk of a validation's time (~8 s of CPU), is loaded once instead of once
 * per stack. The one thing it says of being called is that the stack's backend block is ignored; that
 * warning is dropped (only the root's backend counts, and the copies' is the local one anyway).
 */
export async function validateStacks(
  workspace: Pick<TerraformWorkspace, 'root' | 'stacks' | 'env'>,
  nice = 0,
): Promise<Array<{ name: string; result: ValidateResult }>> {
  const dir = path.join(workspace.root, 'validate');
  mkdirSync(dir, { recursive: true });
  const modules = Object.fromEntries(
    workspace.stacks.map((stack) => {
      const source = path.relative(dir, stack.dir);
      return [stack.name, { source: source.startsWith('../') ? source : `./${source}` }];
    }),
  );
  writeFileSync(path.join(dir, 'main.tf.json'), `${JSON.stringify({ module: modules }, null, 2)}\n`);
  await terraform(['init', '-input=false', '-no-color'], dir, workspace.env);
  const result = await runTerraform(['validate', '-json', '-no-color'], dir, workspace.env, 120_000, nice);
  let all: ValidateResult;
  try {
    all = JSON.parse(result.stdout) as ValidateResult;
  } catch {
    throw new Error(
      `terraform validate -json gave no JSON in ${dir} (exit ${result.code}):\n${result.stdout}${result.stderr}`,
    );
  }
  return diagnosticsByStack(all, dir, workspace.stacks);
}

/**
 * {@link validateStacks}'s split: each diagnostic of the combined validation to the stack whose directory
 * holds the file it names (its file name then relative to that directory), one without a file to every
 * stack, the child-module backend warning dropped; each stack valid when it has no error left.
 */
export function diagnosticsByStack(
  all: ValidateResult,
  dir: string,
  stacks: ReadonlyArray<Pick<TerraformStack, 'name' | 'dir'>>,
): Array<{ name: string; result: ValidateResult }> {
  const stackOf = (diagnostic: Diagnostic): string | undefined => {
    if (!diagnostic.range) return undefined;
    const file = path.resolve(dir, diagnostic.range.filename);
    return stacks.find((stack) => file.startsWith(`${stack.dir}${path.sep}`))?.name;
  };
  return stacks.map((stack) => {
    const diagnostics = all.diagnostics.filter((diagnostic) => {
      const owner = stackOf(diagnostic);
      if (owner !== undefined && owner !== stack.name) return false;
      return !(
        owner !== undefined &&
        diagnostic.severity === 'warning' &&
        diagnostic.summary === CHILD_BACKEND_WARNING
      );
    });
    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 'error').length;
    return {
      name: stack.name,
      result: {
        valid: errors === 0,
        error_count: errors,
        warning_count: diagnostics.length - errors,
        diagnostics: diagnostics.map((diagnostic) =>
          diagnostic.range
            ? {
                ...diagnostic,
                range: {
                  ...diagnostic.range,
                  filename: path.relative(stack.dir, path.resolve(dir, diagnostic.range.filename)),
                },
              }
            : diagnostic,
        ),
      },
    };
  });
}

/** One line per diagnostic: severity, summary, where, detail. */
export function formatDiagnostic(stack: string, diagnostic: Diagnostic): string {
  const where =
    diagnostic.address ?? (diagnostic.range ? `${diagnostic.range.filename}:${diagnostic.range.start.line}` : '');
  return `${stack}: ${diagnostic.severity}: ${diagnostic.summary}${where ? ` (${where})` : ''}${diagnostic.detail ? `: ${diagnostic.detail}` : ''}`;
}

/**
 * The provider `endpoints` key of the AWS service behind each resource or data source type, by type
 * prefix (longest first wins). Types that call no API (policy documents, the region, the partition) map to
 * `null`. {@link pointAtMoto} refuses a stack with a type missing here, so a new kind of resource cannot
 * reach for real AWS from a test: add its service.
 */
export const ENDPOINT_FOR_TYPE: Readonly<Record<string, string | null>> = {
  aws_kms_: 'kms',
  aws_route53_: 'route53',
  aws_sesv2_: 'sesv2',
  aws_ses_: 'ses',
  aws_iam_policy_document: null,
  aws_iam_: 'iam',
  aws_caller_identity: 'sts',
  aws_region: null,
  aws_partition: null,
  aws_default_tags: null,
  aws_lambda_: 'lambda',
  aws_sqs_: 'sqs',
  aws_dynamodb_: 'dynamodb',
  aws_scheduler_: 'scheduler',
  aws_cloudwatch_log_: 'logs',
  aws_cloudwatch_event_: 'events',
  aws_cloudwatch_metric_alarm: 'cloudwatch',
  aws_cloudwatch_composite_alarm: 'cloudwatch',
  aws_cloudwatch_dashboard: 'cloudwatch',
  aws_sns_: 'sns',
  aws_ssm_: 'ssm',
  aws_secretsmanager_: 'secretsmanager',
  aws_s3_: 's3',
};

/** Types that belong to Terraform itself or need no provider. */
const BUILTIN_TYPES = new Set(['terraform_data']);

/** The endpoint key for a type, `null` for one that calls no API; throws for a type not in the table. */
export function endpointForType(type: string): string | null {
  if (BUILTIN_TYPES.has(type)) return null;
  const prefix = Object.keys(ENDPOINT_FOR_TYPE)
    .filter((candidate) => type.startsWith(candidate))
    .sort((a, b) => b.length - a.length)[0];
  if (prefix === undefined) {
    throw new Error(
      `${type}: no AWS service known for this type in test/support/terraform.ts ENDPOINT_FOR_TYPE; add it so the plan against the emulator covers it`,
    );
  }
  return ENDPOINT_FOR_TYPE[prefix];
}

/** Every resource and data source type of a stack, each once, sorted. */
export function typesOf(stack: StackJson): string[] {
  return [...new Set([...Object.keys(stack.resource ?? {}), ...Object.keys(stack.data ?? {})])].sort();
}

/** Replaces `from` by `to` in every string of a JSON value (keys included). */
function replaceInStrings<T>(value: T, from: string, to: string): T {
  return JSON.parse(JSON.stringify(value).split(from).join(to)) as T;
}

export interface MotoTarget {
  /** The emulator's endpoint, e.g. `http://127.0.0.1:5000`. */
  readonly endpoint: string;
  /** The account the emulator answers for (moto: 123456789012). */
  readonly accountId: string;
  /** Ids the stack names that the emulator could not be given, replaced everywhere in the copy. */
  readonly replaceIds?: Readonly<Record<string, string>>;
}

/**
 * The copy's rewrite for a plan or apply against the emulator: every AWS provider configuration gets
 * `endpoints` for every service of the stack's types (plus STS, which the provider asks for the account id)
 * pointed at the emulator, dummy credentials, the credential, region and metadata checks skipped, few
 * retries, and `allowed_account_ids` set to the emulator's account (the stack allows only its real one).
 * `replaceIds` swaps ids the emulator chose for the ones the env files name (e.g. a hosted zone's).
 */
export function pointAtMoto(stack: StackJson, target: MotoTarget): StackJson {
  let copy = structuredClone(stack);
  for (const [from, to] of Object.entries(target.replaceIds ?? {})) copy = replaceInStrings(copy, from, to);
  const services = new Set<string>(['sts']);
  for (const type of typesOf(copy)) {
    const service = endpointForType(type);
    if (service !== null) services.add(service);
  }
  const endpoints = Object.fromEntries([...services].sort().map((service) => [service, target.endpoint]));
  copy.provider.aws = copy.provider.aws.map((provider) => ({
    ...provider,
    allowed_account_ids: [target.accountId],
    access_key: 'testing',
    secret_key: 'testing',
    skip_credentials_validation: true,
    skip_metadata_api_check: 'true',
    skip_region_validation: true,
    max_retries: 2,
    endpoints: [endpoints],
  }));
  return copy;
}

/** A planned resource change of `terraform show -json <plan>`. */
export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly mode: 'managed' | 'data';
  readonly change: { readonly actions: readonly string[]; readonly after?: Record<string, unknown> };
}

/** The parts of `terraform show -json <plan>` the tests read. */
export interface PlanJson {
  readonly resource_changes?: readonly ResourceChange[];
  readonly prior_state?: {
    readonly values?: {
      readonly root_module?: {
        readonly resources?: ReadonlyArray<{ address: string; mode: string; values: Record<string, unknown> }>;
      };
    };
  };
  readonly errored?: boolean;
}

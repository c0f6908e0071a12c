/**
 * The import boundaries between folders (eslint.config.mjs; docs/architecture.md, "What may import
 * what"): every folder is fed imports it must not make, each reported with the rule that says what the
 * folder may import and why, and imports it may make, reported by nothing. One ESLint process lints every
 * probe (test/lint/lint-probes.mjs).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

interface Probe {
  /** Where the probe is linted from, e.g. `functions/lifecycle/policies/lint-probe.ts`. */
  readonly file: string;
  readonly specifier: string;
  /** `import type { … }` instead of a value import. */
  readonly typeOnly?: boolean;
}

interface Boundary {
  readonly may: readonly string[];
  readonly aws?: boolean;
  readonly why: string;
}

/** What each rule's message says (ESLint prefixes it with the refused specifier). */
const RULE = {
  core: 'functions/core imports nothing else of the project: it is what every part shares',
  dkim: 'functions/dkim may import functions/core and nothing else of the project',
  lifecycle: 'functions/lifecycle may import functions/core, functions/dkim and nothing else of the project',
  adapters:
    'functions/adapters may import functions/core, functions/dkim, functions/lifecycle/ports and nothing else of the project',
  adaptersLifecycle:
    'functions/adapters may import functions/lifecycle/ports, and types from the rest of functions/lifecycle with `import type`, never its logic',
  memory:
    'functions/memory may import functions/core, functions/dkim, functions/lifecycle and nothing else of the project',
  simulation:
    'functions/simulation may import functions/core, functions/dkim, functions/lifecycle, functions/memory, functions/adapters and nothing else of the project',
  monitoring:
    'functions/monitoring may import functions/core, functions/dkim, functions/lifecycle and nothing else of the project',
  handlers:
    'functions/handlers may import functions/core, functions/dkim, functions/lifecycle, functions/monitoring, functions/adapters and nothing else of the project',
  cli: 'functions/cli may import functions/core, functions/dkim, functions/lifecycle, functions/adapters, functions/memory, functions/simulation, functions/monitoring and nothing else of the project',
  awsSdk: 'only functions/adapters and functions/handlers import the AWS SDK',
  cdktf: 'nothing under functions/ imports cdktf, @cdktf/* or the constructs package',
  throughCore: 'constructs/ and envs/ reach the functions only through functions/core',
  constructsEnvs: 'constructs/ never imports envs/',
  envsConstructs: 'envs/ never imports constructs/',
  app: 'the app imports constructs/, envs/ and functions/core only',
  securityRules:
    'a security rule (constructs/security/rules/) imports neither cdktf, @cdktf/* nor the constructs package',
  providerRoot: "import the resource by its own path, e.g. '@cdktf/provider-aws/lib/sesv2-email-identity'",
} as const;

const at = (folder: string): string => `${folder}/lint-probe.ts`;

/** [from, specifier, the rule that refuses it]. */
const REFUSED: readonly [string, string, keyof typeof RULE][] = [
  [at('functions/core'), '../dkim/record', 'core'],
  [at('functions/core'), '../lifecycle/state', 'core'],
  [at('functions/core'), '../adapters/dns-verifier', 'core'],
  [at('functions/core'), '../../envs/schema', 'core'],
  [at('functions/core'), '../../constructs', 'core'],
  [at('functions/core'), '@aws-sdk/client-sesv2', 'awsSdk'],
  [at('functions/dkim'), '../lifecycle/state', 'dkim'],
  [at('functions/dkim'), '../adapters/dns-transport', 'dkim'],
  [at('functions/dkim'), '../../functions/memory/dns', 'dkim'],
  [at('functions/dkim'), '@aws-sdk/client-sesv2', 'awsSdk'],
  [at('functions/dkim'), 'cdktf', 'cdktf'],
  [at('functions/lifecycle'), '../memory/services', 'lifecycle'],
  [at('functions/lifecycle'), '../adapters/dns-verifier', 'lifecycle'],
  [at('functions/lifecycle'), '../simulation/world', 'lifecycle'],
  [at('functions/lifecycle'), '../cli/main', 'lifecycle'],
  [at('functions/lifecycle'), '../handlers/worker', 'lifecycle'],
  [at('functions/lifecycle'), '../../constructs/byodkim-domain', 'lifecycle'],
  [at('functions/lifecycle'), '@aws-sdk/client-sesv2', 'awsSdk'],
  [at('functions/lifecycle'), '@aws-lambda-powertools/logger', 'awsSdk'],
  [at('functions/lifecycle'), 'cdktf', 'cdktf'],
  [at('functions/lifecycle'), '@cdktf/provider-aws/lib/kms-key', 'cdktf'],
  [at('functions/lifecycle'), 'constructs', 'cdktf'],
  [at('functions/lifecycle/policies'), '../../adapters/route53', 'lifecycle'],
  [at('functions/lifecycle/policies'), '../../memory/services', 'lifecycle'],
  [at('functions/lifecycle/policies'), '../../../envs/schema', 'lifecycle'],
  [at('functions/monitoring'), '../adapters/ses', 'monitoring'],
  [at('functions/monitoring'), '../handlers/monitor', 'monitoring'],
  [at('functions/monitoring'), '../memory/services', 'monitoring'],
  [at('functions/monitoring'), '@aws-sdk/client-sesv2', 'awsSdk'],
  [at('functions/monitoring'), 'cdktf', 'cdktf'],
  [at('functions/adapters'), '../memory/keys', 'adapters'],
  [at('functions/adapters'), '../simulation/prng', 'adapters'],
  [at('functions/adapters'), '../handlers/worker', 'adapters'],
  [at('functions/adapters'), '../cli/main', 'adapters'],
  [at('functions/adapters'), '../lifecycle/decide', 'adaptersLifecycle'],
  [at('functions/adapters'), '../lifecycle/reconciler', 'adaptersLifecycle'],
  [at('functions/adapters'), '../lifecycle', 'adaptersLifecycle'],
  [at('functions/adapters'), 'cdktf', 'cdktf'],
  [at('functions/memory'), '../simulation/prng', 'memory'],
  [at('functions/memory'), '../adapters/dns-verifier', 'memory'],
  [at('functions/memory'), '@aws-sdk/client-dynamodb', 'awsSdk'],
  [at('functions/simulation'), '../cli/main', 'simulation'],
  [at('functions/simulation'), '../handlers/worker', 'simulation'],
  [at('functions/simulation'), '@aws-sdk/client-route-53', 'awsSdk'],
  [at('functions/handlers'), '../memory/services', 'handlers'],
  [at('functions/handlers'), '../simulation/world', 'handlers'],
  [at('functions/handlers'), '../cli/main', 'handlers'],
  [at('functions/handlers'), 'constructs', 'cdktf'],
  [at('functions/cli'), '../handlers/worker', 'cli'],
  [at('functions/cli/commands'), '../../handlers/worker', 'cli'],
  [at('functions/cli/commands'), '../../../constructs', 'cli'],
  [at('functions/cli'), '../../scripts/bundle.mjs', 'cli'],
  [at('functions/cli/commands'), '@aws-sdk/client-sesv2', 'awsSdk'],
  [at('functions/cli'), 'cdktf', 'cdktf'],
  [at('constructs'), '../envs', 'constructsEnvs'],
  [at('constructs'), '../envs/schema', 'constructsEnvs'],
  [at('constructs'), '../functions/lifecycle/state', 'throughCore'],
  [at('constructs'), '../functions/dkim/record', 'throughCore'],
  [at('constructs'), '../functions/adapters/dns-verifier', 'throughCore'],
  [at('constructs'), '@aws-sdk/client-sesv2', 'awsSdk'],
  [at('constructs/private'), '../../functions/lifecycle/state', 'throughCore'],
  [at('constructs/private'), '../../envs', 'constructsEnvs'],
  [at('constructs/security/rules'), 'cdktf', 'securityRules'],
  [at('constructs/security/rules'), '@cdktf/provider-aws/lib/sqs-queue', 'securityRules'],
  [at('constructs/security/rules'), 'constructs', 'securityRules'],
  [at('constructs/security/rules'), '../../../envs', 'constructsEnvs'],
  [at('constructs/security/rules'), '../../../functions/lifecycle/state', 'throughCore'],
  [at('constructs/security/rules'), '@aws-sdk/client-iam', 'awsSdk'],
  [at('envs'), '../constructs', 'envsConstructs'],
  [at('envs'), '../constructs/byodkim-domain', 'envsConstructs'],
  [at('envs'), '../functions/dkim/record', 'throughCore'],
  [at('envs'), '@aws-sdk/client-sesv2', 'awsSdk'],
  ['main.ts', './functions/lifecycle/reconciler', 'app'],
  ['main.ts', './functions/dkim/keys', 'app'],
  ['main.ts', '@aws-sdk/client-sesv2', 'awsSdk'],
  [at('scripts'), '@aws-sdk/client-sesv2', 'awsSdk'],
];

/** [from, specifier, type-only?]. */
const ACCEPTED: readonly [string, string, boolean?][] = [
  [at('functions/core'), './names'],
  [at('functions/core'), 'node:url'],
  [at('functions/dkim'), '../core/names'],
  [at('functions/dkim'), 'node-forge'],
  [at('functions/lifecycle'), '../core/spec'],
  [at('functions/lifecycle'), '../dkim/record'],
  [at('functions/lifecycle'), './policies/repair'],
  [at('functions/lifecycle/policies'), '../state'],
  [at('functions/lifecycle/policies'), '../../core/time'],
  [at('functions/lifecycle/policies'), '../../dkim/diagnosis'],
  [at('functions/monitoring'), '../lifecycle/state'],
  [at('functions/monitoring'), '../dkim/record'],
  [at('functions/monitoring'), '../core/contract'],
  [at('functions/handlers'), '../monitoring/verdicts'],
  [at('functions/adapters'), '@aws-sdk/client-sesv2'],
  [at('functions/adapters'), '@aws-lambda-powertools/logger'],
  [at('functions/adapters'), '../lifecycle/ports'],
  [at('functions/adapters'), '../lifecycle/state', true],
  [at('functions/adapters'), '../lifecycle/notifications', true],
  [at('functions/adapters'), '../lifecycle/decide', true],
  [at('functions/adapters'), '../core/errors'],
  [at('functions/adapters'), '../dkim/dns-answer'],
  [at('functions/memory'), '../lifecycle/ports'],
  [at('functions/memory'), '../lifecycle/state'],
  [at('functions/memory'), '../dkim/keys'],
  [at('functions/simulation'), '../memory/dns'],
  [at('functions/simulation'), '../adapters/key-generator'],
  [at('functions/simulation'), '../lifecycle/reconciler'],
  [at('functions/handlers'), '../adapters/ses'],
  [at('functions/handlers'), '../lifecycle/reconciler'],
  [at('functions/handlers'), '../core/contract'],
  [at('functions/handlers'), '@aws-sdk/client-sesv2'],
  [at('functions/cli/commands'), '../../simulation/simulate'],
  [at('functions/cli/commands'), '../../memory/faults'],
  [at('functions/cli/commands'), '../../adapters/dns-verifier'],
  [at('functions/cli/commands'), '../command'],
  [at('functions/cli'), '../../envs'],
  [at('functions/cli/commands'), '../../monitoring/report'],
  [at('functions/cli/commands'), '../../../envs/load'],
  [at('constructs'), '../functions/core/spec'],
  [at('constructs'), './private/names'],
  [at('constructs'), 'cdktf'],
  [at('constructs'), 'constructs'],
  [at('constructs'), '@cdktf/provider-aws/lib/kms-key'],
  [at('constructs/private'), '../../functions/core/names'],
  [at('constructs/security'), 'cdktf'],
  [at('constructs/security/rules'), '../terraform'],
  [at('constructs/security/rules'), '../../../functions/core/contract'],
  [at('envs'), '../functions/core/domain-rules'],
  [at('envs'), 'zod'],
  ['main.ts', './constructs'],
  ['main.ts', './envs'],
  ['main.ts', './functions/core/contract'],
  [at('test/functions/adapters'), '@aws-sdk/client-sesv2'],
  [at('test/functions/lifecycle'), '../../../functions/memory/services'],
];

/** The provider package root is refused from every folder, whatever else that folder's block says. */
const PROVIDER_ROOT_FROM = [
  'main.ts',
  at('constructs'),
  at('envs'),
  at('test/constructs'),
  at('scripts'),
  at('functions/core'),
  at('functions/adapters'),
];

function source({ specifier, typeOnly }: Probe): string {
  return typeOnly
    ? `import type { Probe } from '${specifier}';\nexport type { Probe };\n`
    : `import * as probe from '${specifier}';\nexport { probe };\n`;
}

let messages: Map<string, string[]>;
let functionFolders: Record<string, Boundary>;

const key = (probe: Probe): string => `${probe.file} ${probe.typeOnly ? 'type ' : ''}${probe.specifier}`;

beforeAll(() => {
  const probes: Probe[] = [
    ...REFUSED.map(([file, specifier]) => ({ file, specifier })),
    ...ACCEPTED.map(([file, specifier, typeOnly]) => ({ file, specifier, typeOnly })),
    ...PROVIDER_ROOT_FROM.map((file) => ({ file, specifier: '@cdktf/provider-aws' })),
  ];
  const out = execFileSync(process.execPath, [path.join(__dirname, 'lint-probes.mjs')], {
    cwd: root,
    input: JSON.stringify(probes.map((probe) => ({ filePath: probe.file, code: source(probe) }))),
    encoding: 'utf8',
  });
  const parsed = JSON.parse(out) as { results: string[][]; functionFolders: Record<string, Boundary> };
  messages = new Map(probes.map((probe, i) => [key(probe), parsed.results[i]!]));
  functionFolders = parsed.functionFolders;
}, 60_000);

describe('lint: import boundaries', () => {
  it.each(REFUSED)('%s: refuses %s (%s)', (file, specifier, rule) => {
    expect(messages.get(key({ file, specifier }))).toEqual([
      expect.stringContaining(`'${specifier}' import is restricted from being used by a pattern. ${RULE[rule]}`),
    ]);
  });

  it.each(ACCEPTED.map(([file, specifier, typeOnly = false]) => ({ file, specifier, typeOnly })))(
    '$file: accepts $specifier (type-only: $typeOnly)',
    (probe) => {
      expect(messages.get(key(probe))).toEqual([]);
    },
  );
  it.each(PROVIDER_ROOT_FROM)('%s: still refuses the @cdktf/provider-aws package root', (file) => {
    expect(messages.get(key({ file, specifier: '@cdktf/provider-aws' }))).toEqual(
      expect.arrayContaining([expect.stringContaining(RULE.providerRoot)]),
    );
  });

  it('has a boundary for every folder under functions/', () => {
    const onDisk = fs
      .readdirSync(path.join(root, 'functions'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(Object.keys(functionFolders).sort()).toEqual(expect.arrayContaining(onDisk.sort()));
  });

  it("is the table of docs/architecture.md's 'What may import what'", () => {
    const doc = fs.readFileSync(path.join(root, 'docs', 'architecture.md'), 'utf8');
    const rows = new Map<string, { may: string[]; aws: boolean }>();
    for (const line of doc.split('\n')) {
      const cells = line.split('|').map((cell) => cell.trim());
      const folder = /^`functions\/([a-z-]+)\/`$/.exec(cells[1] ?? '')?.[1];
      if (!folder || cells.length < 5) continue;
      const may = [...cells[2]!.replace(/\(.*\)/g, '').matchAll(/`([a-z/-]+)`/g)].map((m) => m[1]!);
      rows.set(folder, { may, aws: cells[3] === 'yes' });
    }
    const expected = Object.entries(functionFolders).map(([folder, { may, aws }]) => [
      folder,
      { may: [...may], aws: aws === true },
    ]);
    expect([...rows.entries()]).toEqual(expected);
  });
});

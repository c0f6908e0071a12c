// Flat config: typescript-eslint's recommended rules, plus the project's own import rules: the
// @cdktf/provider-aws root import (slow synth) and the import boundaries between folders
// (docs/architecture.md, "What may import what"; test/lint/import-boundaries.test.ts feeds each one a
// forbidden import).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Every folder under functions/, what else of the project it may import (it may always import itself),
 * and why. `lifecycle/ports` means lifecycle's ports as values and any lifecycle module with `import type`.
 * `aws: true` allows the AWS SDK (`@aws-sdk/*`, `@aws-lambda-powertools/*`).
 */
export const FUNCTION_FOLDERS = {
  core: { may: [], why: 'it is what every part shares' },
  dkim: { may: ['core'], why: 'keys, records and their diagnosis are pure, shared by every Lambda and the CLI' },
  lifecycle: {
    may: ['core', 'dkim'],
    why: 'the protocol is pure logic that reaches the world only through its ports',
  },
  monitoring: {
    may: ['core', 'dkim', 'lifecycle'],
    why: "the monitor's verdicts, alerts and report are pure: they read what the handlers observed, never the world",
  },
  adapters: {
    may: ['core', 'dkim', 'lifecycle/ports'],
    aws: true,
    why: "an adapter implements a lifecycle port; it carries out the lifecycle's decisions, it never makes them",
  },
  memory: {
    may: ['core', 'dkim', 'lifecycle'],
    why: 'the in-memory fakes stand in for the adapters and know nothing of the simulation that drives them',
  },
  simulation: {
    may: ['core', 'dkim', 'lifecycle', 'memory', 'adapters'],
    why: 'the simulated world runs the real lifecycle against the fakes; the entry points run it, not the reverse',
  },
  handlers: {
    may: ['core', 'dkim', 'lifecycle', 'monitoring', 'adapters'],
    aws: true,
    why: 'a handler wires the adapters to the lifecycle; fakes, the simulation and the CLI stay out of Lambda bundles',
  },
  cli: {
    may: ['core', 'dkim', 'lifecycle', 'adapters', 'memory', 'simulation', 'monitoring'],
    // Outside functions/: the environment files the command operates (`--env prod` finds the worker's name,
    // the region and, with --local, the domains there), never constructs/.
    outside: ['envs'],
    why: 'the command line is an entry point like the handlers, and also runs the simulation (besides these, it reads envs/, the environment files it operates)',
  },
};

/** Folders at the top of the repository that code under functions/ never reaches into. */
const OUTSIDE_FUNCTIONS = ['constructs', 'envs', 'test', 'scripts', 'bin'];

// The package root and its lib index load all 2,212 resource modules (seconds and hundreds of MB per
// synth). Every block below carries this restriction: a block's setting of the rule replaces the earlier
// ones for the files it matches.
const PROVIDER_ROOT = ['@cdktf/provider-aws', '@cdktf/provider-aws/lib', '@cdktf/provider-aws/lib/index'].map(
  (name) => ({
    name,
    message: "import the resource by its own path, e.g. '@cdktf/provider-aws/lib/sesv2-email-identity'",
  }),
);

const AWS_SDK = {
  regex: '^(?:@aws-sdk/|@aws-lambda-powertools/|aws-sdk(?:/|$))',
  message:
    'only functions/adapters and functions/handlers import the AWS SDK (@aws-sdk/*, @aws-lambda-powertools/*): ' +
    'the adapters are the one place that talks to AWS, so synth and the pure code never load it',
};

const CDKTF = {
  regex: '^(?:cdktf|constructs)(?:/|$)|^@cdktf/',
  message:
    'nothing under functions/ imports cdktf, @cdktf/* or the constructs package: they belong to synth, and a ' +
    'Lambda bundle must not carry them (constructs/ reaches the functions through functions/core, never the reverse)',
};

const escape = (name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A relative import that climbs out of its folder (`../`, `../../`, … at any depth, optionally through
 * `functions/`) into one of `folders`. Folder names are matched as path segments right after the climb,
 * so a subfolder must not reuse the name of a folder of functions/ or of the repository's top level.
 */
const climbInto = (folders) => `^(?:\\.\\./)+(?:functions/)?(?:${folders.map(escape).join('|')})(?:/|$)`;

/** The rule's options: the provider-root restriction plus `patterns`. */
const restrictImports = (...patterns) => ['error', { paths: PROVIDER_ROOT, patterns }];

const list = (names) => names.map((name) => `functions/${name}`).join(', ');

/** The block for one folder of functions/. */
function functionsBlock(folder, { may, outside = [], aws = false, why }) {
  const known = new Set([...Object.keys(FUNCTION_FOLDERS), ...FOLDERS_ON_DISK]);
  const mayFolders = may.map((entry) => entry.split('/')[0]);
  const forbidden = [...known].filter((name) => name !== folder && !mayFolders.includes(name));
  const patterns = [
    {
      regex: climbInto([...forbidden, ...OUTSIDE_FUNCTIONS.filter((name) => !outside.includes(name))]),
      message:
        may.length === 0
          ? `functions/${folder} imports nothing else of the project: ${why}`
          : `functions/${folder} may import ${list(may)} and nothing else of the project: ${why}`,
    },
    CDKTF,
  ];
  if (may.includes('lifecycle/ports')) {
    patterns.push({
      regex: `^(?:\\.\\./)+(?:functions/)?lifecycle(?:/(?!ports(?:/|$))|$)`,
      allowTypeImports: true,
      message:
        `functions/${folder} may import functions/lifecycle/ports, and types from the rest of functions/lifecycle ` +
        `with \`import type\`, never its logic: ${why}`,
    });
  }
  if (!aws) patterns.push(AWS_SDK);
  return {
    files: [`functions/${folder}/**`],
    rules: { '@typescript-eslint/no-restricted-imports': restrictImports(...patterns) },
  };
}

/** Folders under functions/ that exist now: one not in FUNCTION_FOLDERS may import nothing of the project. */
function foldersOnDisk() {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'functions');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
}

const FOLDERS_ON_DISK = foldersOnDisk();
const unplaced = FOLDERS_ON_DISK.filter((name) => !(name in FUNCTION_FOLDERS));

/** constructs/ and envs/: the functions only through functions/core, never each other. */
const REACH_FUNCTIONS_ONLY_THROUGH_CORE = {
  regex: '^(?:\\.\\./)+functions(?:/(?!core(?:/|$))|$)',
  message:
    'constructs/ and envs/ reach the functions only through functions/core (the spec, its rules, names, errors, ' +
    'contract): synth must never load Lambda code',
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'cdktf.out/**',
      'coverage/**',
      '.gen/**',
      'bundles/**',
      'bench-results/**',
      'docs/api/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
      },
    },
    rules: {
      // typescript-eslint's version of the rule: the same options, plus `allowTypeImports` (adapters may
      // import lifecycle types) and `import x = require(…)`.
      '@typescript-eslint/no-restricted-imports': restrictImports(AWS_SDK),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Tests import whatever they test, the AWS SDK included (to mock it): they are neither synthesized nor
  // bundled.
  { files: ['test/**'], rules: { '@typescript-eslint/no-restricted-imports': restrictImports() } },
  ...Object.entries(FUNCTION_FOLDERS).map(([folder, boundary]) => functionsBlock(folder, boundary)),
  ...unplaced.map((folder) =>
    functionsBlock(folder, { may: [], why: `add functions/${folder} to FUNCTION_FOLDERS in eslint.config.mjs` }),
  ),
  {
    files: ['constructs/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports(REACH_FUNCTIONS_ONLY_THROUGH_CORE, AWS_SDK, {
        regex: climbInto(['envs', 'test', 'scripts']),
        message:
          "constructs/ never imports envs/: the constructs are public and know nothing of this repository's " +
          'env-file format (main.ts joins the two)',
      }),
    },
  },
  {
    // The security rules judge synthesized Terraform JSON, never the construct tree: the same rule judges
    // any stack, whoever built it (docs/security.md). Only constructs/security/pack.ts touches cdktf.
    files: ['constructs/security/rules/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports(
        REACH_FUNCTIONS_ONLY_THROUGH_CORE,
        AWS_SDK,
        {
          regex: climbInto(['envs', 'test', 'scripts']),
          message:
            "constructs/ never imports envs/: the constructs are public and know nothing of this repository's " +
            'env-file format (main.ts joins the two)',
        },
        {
          regex: '^(?:cdktf|constructs)(?:/|$)|^@cdktf/',
          message:
            'a security rule (constructs/security/rules/) imports neither cdktf, @cdktf/* nor the constructs ' +
            'package: it judges the synthesized JSON, so it judges any stack, whoever built it',
        },
      ),
    },
  },
  {
    files: ['envs/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports(REACH_FUNCTIONS_ONLY_THROUGH_CORE, AWS_SDK, {
        regex: climbInto(['constructs', 'test', 'scripts']),
        message:
          'envs/ never imports constructs/: an environment file is data checked against functions/core rules, ' +
          'and main.ts hands it to the constructs',
      }),
    },
  },
  {
    // The app (main.ts and any file beside it).
    files: ['*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports(AWS_SDK, {
        regex: '^\\./functions(?:/(?!core(?:/|$))|$)',
        message:
          'the app imports constructs/, envs/ and functions/core only: synth must never load Lambda code, which ' +
          'constructs reference as a bundle',
      }),
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

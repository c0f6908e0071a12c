/**
 * The Lambda bundles the constructs deploy: `<bundleDirectory>/<handler>.zip`, built by `npm run bundle`
 * (scripts/bundle.mjs) from `functions/handlers/<handler>.ts`. Constructs never import handler code; they
 * reference the built zip, byte-for-byte deterministic, so its SHA-256 is the `source_code_hash`: an
 * unchanged build gives an empty plan.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AssetType, TerraformAsset, type ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';

/** The repository (or installed package) root: the nearest folder above this file with a package.json. */
function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(__dirname, '..', '..');
    dir = parent;
  }
}

/** Where `npm run bundle` writes the zips: `<package root>/bundles`. */
export function defaultBundleDirectory(): string {
  return path.join(packageRoot(), 'bundles');
}

export interface LambdaBundle {
  /** The zip's absolute path. */
  readonly file: string;
  /** Base64 SHA-256 of the zip: Lambda's `CodeSha256`, Terraform's `source_code_hash`. */
  readonly sha256Base64: string;
  /** Hex SHA-256 of the zip (the asset's folder name in cdktf.out). */
  readonly sha256Hex: string;
}

/** Reads `<directory>/<handler>.zip`, or says how to build it. */
export function readLambdaBundle(directory: string, handler: string, fail: (message: string) => never): LambdaBundle {
  const file = path.resolve(directory, `${handler}.zip`);
  if (!existsSync(file)) {
    fail(`the ${handler} Lambda bundle ${file} does not exist: run "npm run bundle" (or set bundleDirectory)`);
  }
  const bytes = readFileSync(file);
  return {
    file,
    sha256Base64: createHash('sha256').update(bytes).digest('base64'),
    sha256Hex: createHash('sha256').update(bytes).digest('hex'),
  };
}

/** What differs between byodkim's Lambdas; the rest (Node.js 22 on arm64, `index.handler`) is the same for all. */
export interface BundledFunctionProps {
  readonly name: string;
  readonly description: string;
  readonly roleArn: string;
  readonly bundle: LambdaBundle;
  readonly memorySize: number;
  readonly timeout: number;
  readonly reservedConcurrency: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly tags: Record<string, string> | undefined;
  /** Created first: its log group (so Lambda never creates one without retention or key) and its policy. */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * A Lambda function deploying `bundle` (copied into the synthesized output as the asset `assetId`, whose
 * SHA-256 is the `source_code_hash`: an unchanged build gives an empty plan), with construct id `id`.
 */
export function bundledFunction(
  scope: Construct,
  id: string,
  assetId: string,
  props: BundledFunctionProps,
): LambdaFunction {
  const asset = new TerraformAsset(scope, assetId, {
    path: props.bundle.file,
    type: AssetType.FILE,
    assetHash: props.bundle.sha256Hex,
  });
  return new LambdaFunction(scope, id, {
    functionName: props.name,
    description: props.description,
    role: props.roleArn,
    runtime: 'nodejs22.x',
    architectures: ['arm64'],
    handler: 'index.handler',
    filename: asset.path,
    sourceCodeHash: props.bundle.sha256Base64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    reservedConcurrentExecutions: props.reservedConcurrency,
    environment: { variables: { ...props.environment } },
    tags: props.tags,
    dependsOn: props.dependsOn,
  });
}

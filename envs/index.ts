/**
 * The environments `main.ts` synthesizes, one stack each. To add one, create `envs/<name>.ts` and list
 * it here with its file name (used in error messages).
 */
import type { EnvironmentSource } from './load';
import dev from './dev';
import stg from './stg';
import prod from './prod';

export const environments: readonly EnvironmentSource[] = [
  { file: 'envs/dev.ts', input: dev },
  { file: 'envs/stg.ts', input: stg },
  { file: 'envs/prod.ts', input: prod },
];

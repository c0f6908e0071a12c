/**
 * The environments the command line operates: the same files synth reads (`envs/`), validated by the same
 * loader, so `--env prod` names exactly what `npm run synth` deploys — the worker's name, the region, the
 * operators' locale and the domains.
 */
import { environments } from '../../../envs';
import { loadEnvironments } from '../../../envs/load';
import type { EnvironmentConfig } from '../../../envs/schema';
import { ValidationError } from '../../core/errors';
import { alarmNamePrefix, environmentNamePrefix, lambdaFunctionName, stateTableName } from '../../core/resource-names';

export type { EnvironmentConfig };

/** Every environment file, validated (a broken file is one error listing every problem). */
export function loadAll(): readonly EnvironmentConfig[] {
  return loadEnvironments(environments).environments.map((e) => e.config);
}

/** The environment named `name` (`dev`, `stg`, `prod`…), or a usage error naming the known ones. */
export function findEnvironment(name: string, all: readonly EnvironmentConfig[] = loadAll()): EnvironmentConfig {
  const found = all.find((config) => config.environment === name);
  if (!found) {
    const known = all.map((config) => config.environment).join(', ');
    throw new ValidationError(
      'UNKNOWN_ENVIRONMENT',
      `--env ${JSON.stringify(name)} is not an environment of envs/ (known: ${known})`,
      'env',
    );
  }
  return found;
}

/** The names the command uses for an environment's resources (the constructs' naming rule). */
export interface ResourceNames {
  readonly worker: string;
  readonly report: string;
  readonly stateTable: string;
  readonly alarmPrefix: string;
}

export function resourceNames(config: EnvironmentConfig): ResourceNames {
  const prefix = environmentNamePrefix(config.project, config.environment);
  return {
    worker: lambdaFunctionName(prefix, 'worker'),
    report: lambdaFunctionName(prefix, 'report'),
    stateTable: stateTableName(prefix),
    alarmPrefix: alarmNamePrefix(prefix),
  };
}

/**
 * The names of an environment's AWS resources that more than one side must agree on: the constructs
 * create them, the `byodkim` command finds them from the environment file. One function per rule, so a
 * renamed Lambda is a compile-time change on both sides, never a CLI that invokes nothing.
 */

/** The roles of byodkim's Lambda functions. */
export type LambdaRole = 'planner' | 'worker' | 'monitor' | 'report' | 'canary';

/**
 * An environment's name prefix, `<project>-<environment>` (e.g. `byodkim-prod`): what `ByodkimStack`
 * (main.ts) hands the constructs as `namePrefix`, and the default selector prefix of its domains.
 */
export function environmentNamePrefix(project: string, environment: string): string {
  return `${project}-${environment}`;
}

/** A Lambda function's name, `<namePrefix>-dkim-<role>` (e.g. `byodkim-prod-dkim-worker`). */
export function lambdaFunctionName(namePrefix: string, role: LambdaRole): string {
  return `${namePrefix}-dkim-${role}`;
}

/** The environment's state table, `<namePrefix>-dkim-state` (SPEC, STATE, EVENT, HEARTBEAT and REPORT items). */
export function stateTableName(namePrefix: string): string {
  return `${namePrefix}-dkim-state`;
}

/**
 * The prefix every CloudWatch alarm of the environment's name starts with, `<namePrefix>-` (e.g.
 * `byodkim-prod-`): `byodkim status` lists the alarms firing with `DescribeAlarms(AlarmNamePrefix)`.
 */
export function alarmNamePrefix(namePrefix: string): string {
  return `${namePrefix}-`;
}

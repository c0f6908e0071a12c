/**
 * The runtime's composition root honours the optional variables of LAMBDA_ENV: the operators' Reply-To on
 * DNS-team mail, and the DNS override (resolvers and authoritative servers replacing discovery).
 */
import { mockClient } from 'aws-sdk-client-mock';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { DEFAULT_RESOLVERS } from '../../../functions/adapters/dns-verifier';
import { LAMBDA_ENV } from '../../../functions/core/contract';
import { resolveDomainSpec } from '../../../functions/core/spec';
import { createWorkerRuntime, listVariable } from '../../../functions/handlers/runtime';
import { changeRequest } from '../../../functions/lifecycle/notifications';
import type { KeyRecord } from '../../../functions/lifecycle/state';
import { startTestDnsServer, type TestDnsServer } from '../../support/dns-test-server';

const ENV = {
  AWS_REGION: 'ap-northeast-1',
  [LAMBDA_ENV.environment]: 'dev',
  [LAMBDA_ENV.stateTable]: 'byodkim-dev-dkim-state',
  [LAMBDA_ENV.workQueueUrl]: 'https://sqs.ap-northeast-1.amazonaws.com/111111111111/byodkim-dev-dkim-work',
  [LAMBDA_ENV.secretPrefix]: 'byodkim-dev',
  [LAMBDA_ENV.keyStoreKeyArn]: 'arn:aws:kms:ap-northeast-1:111111111111:key/1234',
  [LAMBDA_ENV.operatorTopicArn]: 'arn:aws:sns:ap-northeast-1:111111111111:ops',
  [LAMBDA_ENV.dnsTeamSender]: 'byodkim@example.com',
};

const T0 = Date.UTC(2026, 11, 1);
const spec = resolveDomainSpec(
  { domain: 'example.com', dns: { kind: 'external', contacts: ['dns-team@example.net'], locale: 'ja' } },
  { selectorPrefix: 'byodkim-dev' },
);
const key: KeyRecord = {
  keyId: 'byodkim-dev-20261201-1',
  selector: 'byodkim-dev-20261201-1',
  state: 'dns-requested',
  reason: 'scheduled',
  publicKey: `MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA${'A'.repeat(342)}IDAQAB`,
  createdAt: T0,
};
const notification = changeRequest(
  spec,
  key,
  { id: 'DKIM-20261201-0001', sentAt: T0, deadline: T0 + 14 * 86_400_000, reminders: 0, escalations: 0 },
  'initial',
  T0,
);

describe('worker runtime: the operators Reply-To (BYODKIM_OPERATOR_REPLY_TO)', () => {
  const ses = mockClient(SESv2Client);
  beforeEach(() => {
    ses.reset();
    ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
  });
  afterAll(() => ses.restore());

  it('sends DNS-team mail with Reply-To the operators, each address of the list', async () => {
    const runtime = createWorkerRuntime({
      ...ENV,
      [LAMBDA_ENV.operatorReplyTo]: 'dkim-ops@example.com, dkim-oncall@example.com',
    });
    await runtime.ports.notifier.send(notification);
    const input = ses.commandCalls(SendEmailCommand)[0].args[0].input;
    expect(input.FromEmailAddress).toBe('byodkim@example.com');
    expect(input.ReplyToAddresses).toEqual(['dkim-ops@example.com', 'dkim-oncall@example.com']);
    expect(input.Destination?.ToAddresses).toEqual(['dns-team@example.net']);
  });

  it('leaves Reply-To out without the variable (replies go to the sender)', async () => {
    await createWorkerRuntime(ENV).ports.notifier.send(notification);
    expect(ses.commandCalls(SendEmailCommand)[0].args[0].input.ReplyToAddresses).toBeUndefined();
  });
});

describe('worker runtime: the DNS override (BYODKIM_RESOLVERS, BYODKIM_AUTHORITATIVE_SERVERS)', () => {
  const name = 's1._domainkey.example.test';
  const records = { [name]: { TXT: [['v=DKIM1; k=rsa; p=AAAA']] } };
  let auth: TestDnsServer;
  let resolver: TestDnsServer;
  beforeAll(async () => {
    auth = await startTestDnsServer({ role: 'authoritative', zones: ['example.test'], records });
    resolver = await startTestDnsServer({ role: 'recursive', records });
  });
  afterAll(async () => {
    await auth.close();
    await resolver.close();
  });

  it('asks the given authoritative servers instead of discovering them, and the given resolvers', async () => {
    const runtime = createWorkerRuntime({
      ...ENV,
      [LAMBDA_ENV.resolvers]: resolver.address,
      [LAMBDA_ENV.authoritativeServers]: auth.address,
    });
    const before = resolver.queries.log.length;
    const answers = await runtime.ports.dnsObserver.lookupTxt(name);
    expect(answers.map((a) => [a.server, a.outcome])).toEqual([
      [`authoritative:${auth.address}`, 'answer'],
      [`resolver:${resolver.address}`, 'answer'],
    ]);
    // No NS discovery through the resolver: its one query is the record itself.
    expect(resolver.queries.log.slice(before)).toEqual([`udp ${name} 16`]);
  });

  it('reads comma-separated lists, blanks dropped', () => {
    expect(listVariable(' 127.0.0.1:5300, ,10.0.0.2 ')).toEqual(['127.0.0.1:5300', '10.0.0.2']);
    expect(listVariable('')).toBeUndefined();
    expect(listVariable(undefined)).toBeUndefined();
  });

  it('defaults to several public resolvers of different operators', () => {
    expect(DEFAULT_RESOLVERS).toEqual(['8.8.8.8', '1.1.1.1', '9.9.9.9']);
  });
});

import {
  CreateEmailIdentityCommand,
  SESv2Client,
  SendEmailCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsNotifier, SEVERITY, mailSubject, mailText, snsSubject } from '../../../functions/adapters/notifier';
import { ServiceError, TransientError } from '../../../functions/core/errors';
import { resolveDomainSpec, type DomainSpec } from '../../../functions/core/spec';
import {
  changeRequest,
  operatorNotice,
  renderSubject,
  renderText,
  type Notification,
  type NotificationKind,
} from '../../../functions/lifecycle/notifications';
import type { DnsTeamRequest, KeyRecord } from '../../../functions/lifecycle/state';
import { MOTO_ACCOUNT_ID, MOTO_REGION, startMoto, type Moto } from '../../support/moto';

const T0 = Date.UTC(2026, 11, 1);
const SENDER = 'byodkim@mail.example.org';
const OPERATORS = ['dkim-operators@example.org'];
const TEAM = ['dns-team@example.net', 'dns-oncall@example.net'];

const spec: DomainSpec = resolveDomainSpec(
  { domain: 'example.com', dns: { kind: 'external', contacts: TEAM, locale: 'ja' } },
  { selectorPrefix: 'byodkim-dev' },
);
/** A public key (the record's p=), not a secret: 2048-bit SPKI length. */
const PUBLIC_KEY = `MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA${'A'.repeat(342)}IDAQAB`;
const key: KeyRecord = {
  keyId: 'byodkim-dev-20261201-1',
  selector: 'byodkim-dev-20261201-1',
  state: 'dns-requested',
  reason: 'scheduled',
  publicKey: PUBLIC_KEY,
  createdAt: T0,
};
const request: DnsTeamRequest = {
  id: 'DKIM-20261201-0001',
  sentAt: T0,
  deadline: T0 + 14 * 86_400_000,
  reminders: 0,
  escalations: 0,
};

function request_(): Notification {
  return changeRequest(spec, key, request, 'initial', T0);
}

interface MotoSesMessage {
  readonly source: string;
  readonly subject: string;
  readonly body: string;
  readonly destinations: { readonly ToAddresses?: string[] };
}

/** What moto's SES sent, read from its backend API (`GET /moto-api/data.json`: every model instance). */
async function sentMail(moto: Moto): Promise<MotoSesMessage[]> {
  const data = (await (await fetch(`${moto.endpoint}/moto-api/data.json`)).json()) as {
    ses?: { Message?: MotoSesMessage[] };
  };
  return data.ses?.Message ?? [];
}

interface SnsEnvelope {
  readonly Type: string;
  readonly Subject?: string;
  readonly Message: string;
  readonly TopicArn: string;
}

describe('AwsNotifier against moto (SES v2 SendEmail, SNS through an SQS subscription)', () => {
  let moto: Moto;
  let ses: SESv2Client;
  let sns: SNSClient;
  let sqs: SQSClient;
  let topicArn: string;
  let queueUrl: string;
  let sendEmailInputs: Record<string, unknown>[];

  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    ses = new SESv2Client({ ...moto.clientConfig, maxAttempts: 1 });
    sns = new SNSClient({ ...moto.clientConfig, maxAttempts: 1 });
    sqs = new SQSClient({ ...moto.clientConfig, maxAttempts: 1 });
    sendEmailInputs = [];
    ses.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'SendEmailCommand') sendEmailInputs.push(args.input as Record<string, unknown>);
        return next(args);
      },
      { step: 'initialize', name: 'recordSendEmail' },
    );
    topicArn = (await sns.send(new CreateTopicCommand({ Name: 'byodkim-dev-operators' }))).TopicArn!;
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'operators-inbox' }))).QueueUrl!;
    const queueArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes!.QueueArn!;
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }));
  });
  afterEach(() => {
    ses.destroy();
    sns.destroy();
    sqs.destroy();
  });

  async function operatorInbox(): Promise<SnsEnvelope[]> {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    return (out.Messages ?? []).map((m) => JSON.parse(m.Body!) as SnsEnvelope);
  }

  function notifier(overrides: Partial<ConstructorParameters<typeof AwsNotifier>[0]> = {}): AwsNotifier {
    return new AwsNotifier({ sender: SENDER, replyTo: OPERATORS, operatorTopicArn: topicArn, ses, sns, ...overrides });
  }

  it('mails a change request to the DNS team from the verified sender: the Japanese subject arrives intact', async () => {
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'mail.example.org' }));
    const n = request_();
    await notifier().send(n);

    const [mail, ...more] = await sentMail(moto);
    expect(more).toEqual([]);
    expect(mail!.source).toBe(SENDER);
    expect(mail!.destinations.ToAddresses).toEqual(TEAM);
    expect(mail!.subject).toBe(renderSubject(n));
    expect(mail!.subject).toMatch(/^DKIM TXT レコード設定依頼 DKIM-20261201-0001（example.com、期限/);
    expect(mail!.body).toBe(renderText(n));
    expect(mail!.body).toContain('■ 依頼番号: DKIM-20261201-0001');
    // moto keeps no Reply-To or charset: what the adapter sent is checked on the request itself.
    expect(sendEmailInputs[0]).toMatchObject({
      ReplyToAddresses: OPERATORS,
      Content: { Simple: { Subject: { Charset: 'UTF-8' }, Body: { Text: { Charset: 'UTF-8' } } } },
    });
    expect(await operatorInbox()).toEqual([]);
  });

  it('sends operator notices to the SNS topic: ASCII subject with the severity, the bilingual text as the message', async () => {
    const n = operatorNotice(spec, 'compromise', { en: 'Key revoked.', ja: '鍵を失効しました。' }, key.selector);
    await notifier().send(n);

    const [message, ...more] = await operatorInbox();
    expect(more).toEqual([]);
    expect(message!.TopicArn).toBe(topicArn);
    expect(message!.Subject).toBe('[byodkim] CRITICAL example.com: DKIM key revoked as compromised');
    expect(message!.Message).toBe(renderText(n));
    expect(message!.Message).toContain('鍵を失効しました。');
    expect(await sentMail(moto)).toEqual([]);
  });

  it('when SES refuses (the sender is not verified), operators get the whole request to forward by hand', async () => {
    const lines: unknown[] = [];
    const n = request_();
    await notifier({ logger: { log: (...args) => lines.push(args) } }).send(n);

    expect(await sentMail(moto)).toEqual([]);
    const [message] = await operatorInbox();
    expect(message!.Subject).toMatch(/^\[byodkim\] ACTION example\.com: forward to DNS team: /);
    expect(message!.Subject!.length).toBeLessThanOrEqual(100);
    expect(message!.Subject).toMatch(/^[\x20-\x7e]+$/);
    const [first, second] = message!.Message.split('\n');
    expect(first).toMatch(
      /^FORWARD BY HAND: this message for the DNS team of example\.com was NOT sent \(SES refused SendEmail from byodkim@mail\.example\.org: MessageRejected\)/,
    );
    expect(second).toMatch(/^手動転送が必要です/);
    expect(message!.Message.split('\n')[2]).toMatch(/^Why: .*Email address not verified byodkim@mail\.example\.org/);
    expect(message!.Message).toContain(`To: ${TEAM.join(', ')}`);
    expect(message!.Message).toContain(`Subject: ${renderSubject(n)}`);
    expect(message!.Message).toContain(renderText(n));
    expect(lines).toEqual([
      ['error', 'notifier.ses-refused', expect.objectContaining({ domain: 'example.com', error: 'MessageRejected' })],
    ]);
  });

  it('a DNS-team message without addresses goes to operators to forward', async () => {
    await notifier().send({ ...request_(), to: [] });
    const [message] = await operatorInbox();
    expect(message!.Message.split('\n')[0]).toContain('no DNS-team address is configured');
    expect(message!.Message).toContain('To: (no address configured for this domain)');
  });

  it('when SNS fails too, send throws, naming both refusals', async () => {
    const lost = notifier({
      operatorTopicArn: `arn:aws:sns:${MOTO_REGION}:${MOTO_ACCOUNT_ID}:no-such-topic`,
    }).send(request_());
    await expect(lost).rejects.toThrow(ServiceError);
    await expect(lost).rejects.toMatchObject({
      message: expect.stringMatching(
        /reached nobody: .*SendEmail.*MessageRejected.*SNS Publish on topic .*no-such-topic/s,
      ),
    });
  });
});

describe('AwsNotifier: what moto cannot show', () => {
  it('a throttled SES call throws TransientError for the engine to retry, and operators are not bothered', async () => {
    const ses = new SESv2Client({ region: 'ap-northeast-1' });
    const sns = new SNSClient({ region: 'ap-northeast-1' });
    const sesMock = mockClient(ses);
    const snsMock = mockClient(sns);
    sesMock.on(SendEmailCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }));
    const n = new AwsNotifier({
      sender: SENDER,
      operatorTopicArn: 'arn:aws:sns:ap-northeast-1:123456789012:t',
      ses,
      sns,
    });
    await expect(n.send(request_())).rejects.toThrow(TransientError);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    expect(sesMock.commandCalls(SendEmailCommand)[0]!.args[0].input).not.toHaveProperty('ReplyToAddresses');
    ses.destroy();
    sns.destroy();
  });

  it('renders the mail exactly as the lifecycle does, for every locale', () => {
    for (const locale of ['ja', 'en'] as const) {
      const n = { ...request_(), locale };
      expect(mailSubject(n)).toBe(renderSubject(n));
      expect(mailText(n)).toBe(renderText(n));
    }
  });

  it('SNS subjects are printable ASCII of at most 100 characters, with a severity for every kind', () => {
    const kinds = Object.keys(SEVERITY) as NotificationKind[];
    for (const kind of kinds) {
      const n: Notification = {
        ...request_(),
        kind,
        domain: 'a-very-long-subdomain-name-for-testing.mail.example.com',
        subject: {
          en: `Something happened — ${'x'.repeat(120)}: a-very-long-subdomain-name-for-testing.mail.example.com`,
          ja: '件名',
        },
      };
      for (const forward of [false, true]) {
        const subject = snsSubject(n, forward);
        expect(subject).toMatch(/^[\x20-\x7e]{1,100}$/);
        expect(subject.startsWith(`[byodkim] ${SEVERITY[kind]} a-very-long-subdomain`)).toBe(true);
        expect(subject.endsWith('...')).toBe(true);
      }
    }
    expect(snsSubject(operatorNotice(spec, 'rotation-completed', { en: 'done', ja: '完了' }))).toBe(
      '[byodkim] INFO example.com: DKIM key rotated',
    );
  });
});

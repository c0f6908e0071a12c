/**
 * The {@link Notifier}: DNS-team mail through SES v2 `SendEmail`, operator notices through the
 * environment's SNS topic (docs/design.md §5).
 *
 * - A DNS team is not an SNS subscriber: change requests, reminders, corrections and escalations go from
 *   the configured sender (a verified SES identity) to the team's addresses, with the UTF-8 Japanese subject
 *   and the plain-text bilingual body of `renderSubject`/`renderText`, Reply-To the operators.
 * - Operators get an SNS message whose subject is ASCII (SNS refuses anything else, and at most 100
 *   characters): `[byodkim] CRITICAL example.com: DKIM key revoked as compromised`; the bilingual text is
 *   the message.
 * - When SES refuses to send (sandbox, unverified sender, access denied, a paused account, an address it
 *   will not take), the operators get the whole request through SNS, its first line saying it must be
 *   forwarded to the DNS team by hand: a change request is never lost. If SNS fails too, `send` throws and
 *   the engine sends again on a later run. A throttled or timed-out SES call throws (the engine retries)
 *   rather than bothering operators.
 *
 * Nothing here carries key material: notifications hold selectors, names and public keys only.
 */
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ServiceError, TransientError, type ByodkimError } from '../core/errors';
import type { Logger, Notifier } from '../lifecycle/ports';
import type { Notification, NotificationKind } from '../lifecycle/notifications';
import { awsClientConfig, awsErrorName, classifyAwsError, mapAwsError } from './aws-errors';

export interface AwsNotifierOptions {
  /** The From address: on an SES-verified identity, e.g. `byodkim@mail.example.com` or `"byodkim" <…>`. */
  readonly sender: string;
  /** Where the DNS team's replies go (the operators). */
  readonly replyTo?: readonly string[];
  /** The environment's operator topic. */
  readonly operatorTopicArn: string;
  /** An SES configuration set for the DNS-team mail (event publishing, suppression), if any. */
  readonly configurationSetName?: string;
  readonly ses?: SESv2Client;
  readonly sns?: SNSClient;
  /** Told when SES refused a DNS-team message and operators got it instead. */
  readonly logger?: Logger;
}

export type Severity = 'CRITICAL' | 'WARNING' | 'ACTION' | 'INFO';

/** How urgent each notice is for operators (the SNS subject's second word). */
export const SEVERITY: Readonly<Record<NotificationKind, Severity>> = {
  compromise: 'CRITICAL',
  'signing-drift': 'CRITICAL',
  'ses-failed': 'CRITICAL',
  'key-overdue': 'WARNING',
  'approval-needed': 'ACTION',
  'rotation-completed': 'INFO',
  // DNS-team messages reach operators only when SES refused them: someone must forward them by hand.
  'dns-change-request': 'ACTION',
  'dns-change-reminder': 'ACTION',
  'dns-change-escalation': 'ACTION',
  'dns-correction': 'ACTION',
  'dns-revocation-request': 'ACTION',
  'delegation-request': 'ACTION',
  'delegation-correction': 'ACTION',
};

/**
 * The mail's subject: both languages, the audience's first (`依頼 … / Request …`). The same text as the
 * lifecycle's `renderSubject` (an adapter may not call the lifecycle's code; a test holds the two equal).
 */
export function mailSubject(n: Notification): string {
  return n.locale === 'ja' ? `${n.subject.ja} / ${n.subject.en}` : `${n.subject.en} / ${n.subject.ja}`;
}

/** The mail's plain-text body: both languages, the audience's first, as the lifecycle's `renderText`. */
export function mailText(n: Notification): string {
  const [first, second] = n.locale === 'ja' ? [n.body.ja, n.body.en] : [n.body.en, n.body.ja];
  return `${first}\n\n${'-'.repeat(72)}\n\n${second}\n`;
}

/** SNS `Subject`: at most 100 characters. */
export const SNS_SUBJECT_MAX = 100;

/** Printable ASCII only (SNS refuses other characters and line breaks in a subject), whitespace folded. */
function ascii(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The English subject without the `: <domain>` the lifecycle appends (the SNS subject names the domain first). */
function title(n: Notification): string {
  const suffix = `: ${n.domain}`;
  return n.subject.en.endsWith(suffix) ? n.subject.en.slice(0, -suffix.length) : n.subject.en;
}

/**
 * `[byodkim] <SEVERITY> <domain>: <English title>`, ASCII, ≤ 100 characters (cut with `...`). A DNS-team
 * message forwarded to operators says so: `[byodkim] ACTION example.com: forward to DNS team: …`.
 */
export function snsSubject(n: Notification, forward = false): string {
  const head = `[byodkim] ${SEVERITY[n.kind]} ${ascii(n.domain)}: `;
  const subject = ascii(`${head}${forward ? 'forward to DNS team: ' : ''}${title(n)}`);
  return subject.length <= SNS_SUBJECT_MAX ? subject : `${subject.slice(0, SNS_SUBJECT_MAX - 3).trimEnd()}...`;
}

/** The operators' copy of a DNS-team message SES would not send: what to do first, then the whole message. */
export function forwardByHandText(n: Notification, reason: string, detail?: string): string {
  const to = n.to.length > 0 ? n.to.join(', ') : '(no address configured for this domain)';
  return (
    `FORWARD BY HAND: this message for the DNS team of ${n.domain} was NOT sent (${reason}). Forward it to the DNS team as it is, then fix the sender.\n` +
    `手動転送が必要です: ${n.domain} の DNS 管理チーム宛てのメッセージを送信できませんでした（${reason}）。以下をそのまま DNS 管理チームへ転送し、送信元の設定を修正してください。\n` +
    (detail !== undefined ? `Why: ${detail}\n` : '') +
    `\n` +
    `To: ${to}\n` +
    `Subject: ${mailSubject(n)}\n` +
    (n.requestId !== undefined ? `Request: ${n.requestId}\n` : '') +
    `\n${mailText(n)}`
  );
}

export class AwsNotifier implements Notifier {
  private readonly ses: SESv2Client;
  private readonly sns: SNSClient;

  constructor(private readonly options: AwsNotifierOptions) {
    this.ses = options.ses ?? new SESv2Client(awsClientConfig());
    this.sns = options.sns ?? new SNSClient(awsClientConfig());
  }

  async send(n: Notification): Promise<void> {
    if (n.audience === 'operators') {
      await this.publish(n, snsSubject(n), mailText(n));
      return;
    }
    if (n.to.length === 0) {
      await this.forward(n, 'no DNS-team address is configured');
      return;
    }
    try {
      await this.ses.send(
        new SendEmailCommand({
          FromEmailAddress: this.options.sender,
          Destination: { ToAddresses: [...n.to] },
          ...(this.options.replyTo && this.options.replyTo.length > 0
            ? { ReplyToAddresses: [...this.options.replyTo] }
            : {}),
          ...(this.options.configurationSetName !== undefined
            ? { ConfigurationSetName: this.options.configurationSetName }
            : {}),
          Content: {
            Simple: {
              Subject: { Data: mailSubject(n), Charset: 'UTF-8' },
              Body: { Text: { Data: mailText(n), Charset: 'UTF-8' } },
            },
          },
        }),
      );
    } catch (error) {
      const kind = classifyAwsError(error);
      const mapped = mapAwsError(error, {
        service: 'SES',
        action: 'SendEmail',
        resource: `from ${this.options.sender} to the DNS team of ${n.domain}`,
      });
      // Slow down or try again: the engine sends it again later (deliveredAt stays unset).
      if (kind === 'throttled' || kind === 'unavailable' || kind === 'timeout') throw mapped;
      const reason = `SES refused SendEmail from ${this.options.sender}: ${awsErrorName(error)}`;
      this.options.logger?.log('error', 'notifier.ses-refused', {
        domain: n.domain,
        kind: n.kind,
        requestId: n.requestId,
        sender: this.options.sender,
        error: awsErrorName(error),
        message: mapped.message,
      });
      await this.forward(n, reason, mapped);
    }
  }

  /** The whole DNS-team message to operators, to forward by hand. */
  private async forward(n: Notification, reason: string, sesError?: ByodkimError): Promise<void> {
    try {
      await this.publish(n, snsSubject(n, true), forwardByHandText(n, reason, sesError?.message));
    } catch (error) {
      if (sesError === undefined) throw error;
      const message = `the ${n.kind} for ${n.domain} reached nobody: ${sesError.message}; then ${(error as Error).message}`;
      throw error instanceof TransientError
        ? new TransientError(error.code as ConstructorParameters<typeof TransientError>[0], message, 'SNS')
        : new ServiceError((error as ByodkimError).code ?? 'NOTIFICATION_UNDELIVERED', message, 'SNS');
    }
  }

  private async publish(n: Notification, subject: string, message: string): Promise<void> {
    try {
      await this.sns.send(
        new PublishCommand({ TopicArn: this.options.operatorTopicArn, Subject: subject, Message: message }),
      );
    } catch (error) {
      throw mapAwsError(error, {
        service: 'SNS',
        action: 'Publish',
        resource: `topic ${this.options.operatorTopicArn} (${n.kind} for ${n.domain})`,
      });
    }
  }
}

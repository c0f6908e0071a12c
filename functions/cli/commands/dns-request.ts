/**
 * `byodkim dns-request`: prints the change request the DNS team got (each open request, as it was sent:
 * subject, addressees, body) as text, Markdown (for a ticket) or JSON, in Japanese, English or both.
 * `--resend` asks the worker to send the open request again instead.
 */
import type { DnsRequestView } from '../../lifecycle/domain-view';
import type { DomainResponse } from '../../lifecycle/operator-answer';
import { ValidationError } from '../../core/errors';
import { ExitCode, INVOCATION, type Command } from '../command';
import { parseOptions } from './options';
import { OPERATE_HELP, OPERATE_OPTIONS, operate, type OperateContext } from '../operate/context';
import { exitOf, worst } from './actions';
import { formatTime, type Lang } from '../operate/text';

const USAGE = `usage: ${INVOCATION} dns-request --env ENV [--domain DOMAIN]... [--format text|markdown|json]
                               [--locale ja|en] [--resend] [common options]

Prints the change requests the DNS team got and that are still open (external mode: publish a new
selector's TXT record, revoke a retired one; delegated mode: the one-time CNAMEs), exactly as they were
sent: addressees, subject and body, with the record name, the value as ≤255-character strings, the
zone-file line and the deadline. Nothing is sent. Route 53 domains need no DNS team.

options:
  --format text|markdown|json  text (default); markdown to paste into a ticket; json for scripts
  --locale ja|en               only that language (default: both, the team's language first, as sent)
  --resend                     ask the worker to send the open request again (no prompt: nothing changes
                               in DNS or SES)

${OPERATE_HELP}

examples:
  ${INVOCATION} dns-request --env prod --domain example.co.jp
  ${INVOCATION} dns-request --env prod --domain example.co.jp --format markdown --locale ja > request.md
  ${INVOCATION} dns-request --env prod --format json
  ${INVOCATION} dns-request --env prod --domain example.co.jp --resend
  ${INVOCATION} dns-request --env dev --local --advance 1d

exit status: 0 printed (also when no request is open) or resent; 1 the worker refused the resend;
2 usage; 3 AWS error; 4 busy`;

const FORMATS = ['text', 'markdown', 'json'] as const;
type Format = (typeof FORMATS)[number];

function bodyOf(q: DnsRequestView, locale: Lang | undefined, part: 'subject' | 'body'): string {
  const text = q.message[part];
  if (locale) return text[locale];
  const [first, second] = q.message.locale === 'ja' ? [text.ja, text.en] : [text.en, text.ja];
  return part === 'subject' ? `${first} / ${second}` : `${first.trimEnd()}\n\n${'-'.repeat(72)}\n\n${second}`;
}

function render(ctx: OperateContext, domain: string, q: DnsRequestView, format: Format, locale?: Lang): string {
  const ja = (locale ?? ctx.lang) === 'ja';
  const deadline = formatTime(q.deadline, ctx.timeZone);
  const sent = formatTime(q.sentAt, ctx.timeZone);
  const state = ja
    ? `期限 ${deadline}${q.overdue ? '（期限超過）' : ''}、送信 ${sent}、リマインド ${q.reminders} 回、エスカレーション ${q.escalations} 回`
    : `due ${deadline}${q.overdue ? ' (OVERDUE)' : ''}; sent ${sent}; ${q.reminders} reminder(s), ${q.escalations} escalation(s)`;
  if (format === 'markdown') {
    return [
      `## ${bodyOf(q, locale, 'subject')}`,
      '',
      `- ${ja ? 'ドメイン' : 'Domain'}: ${domain}`,
      `- ${ja ? '依頼番号' : 'Request id'}: \`${q.id}\``,
      `- ${ja ? '宛先' : 'To'}: ${q.message.to.join(', ') || '-'}`,
      `- ${ja ? '状況' : 'Status'}: ${state}`,
      '',
      '```text',
      bodyOf(q, locale, 'body').trimEnd(),
      '```',
      '',
    ].join('\n');
  }
  return [
    `${ja ? '件名' : 'Subject'}: ${bodyOf(q, locale, 'subject')}`,
    `${ja ? '宛先' : 'To'}: ${q.message.to.join(', ') || '-'}`,
    `${ja ? '状況' : 'Status'}: ${state}`,
    '',
    bodyOf(q, locale, 'body').trimEnd(),
    '',
  ].join('\n');
}

function nothingOpen(ctx: OperateContext, r: DomainResponse): string {
  const ja = ctx.lang === 'ja';
  const spec = ctx.config.domains.find((d) => d.domain === r.domain)!;
  if (spec.dns.kind === 'route53') {
    return ja
      ? `${r.domain}: route53 モードのため、byodkim が Route 53 にレコードを直接登録します。DNS 管理チームへの依頼はありません。`
      : `${r.domain}: route53 mode: byodkim writes its records in Route 53 itself; there is no DNS-team request.`;
  }
  const next = r.view?.nextRotationAt;
  const when = next ? formatTime(next, ctx.timeZone) : undefined;
  return ja
    ? `${r.domain}: 未完了の DNS 依頼はありません。${when ? `次の依頼は次回ローテーション開始時（${when} ごろ）に DNS 管理チームへ送られます。` : ''}`
    : `${r.domain}: no DNS-team request is open.${when ? ` The next one goes to the DNS team when the next rotation starts (around ${when}).` : ''}`;
}

export const dnsRequestCommand: Command = {
  name: 'dns-request',
  summary: 'print the change request the DNS team got (text, Markdown, JSON), or send it again',
  usage: USAGE,
  async run(args, io) {
    const values = parseOptions(args, {
      ...OPERATE_OPTIONS,
      format: { type: 'string' },
      locale: { type: 'string' },
      resend: { type: 'boolean' },
    });
    const format = (values.format ?? (values.json ? 'json' : 'text')) as Format;
    if (!FORMATS.includes(format)) {
      throw new ValidationError(
        'INVALID_OPTION',
        `--format must be text, markdown or json (given ${JSON.stringify(values.format)})`,
        'format',
      );
    }
    const locale = values.locale as Lang | undefined;
    if (locale !== undefined && locale !== 'ja' && locale !== 'en') {
      throw new ValidationError(
        'INVALID_OPTION',
        `--locale must be ja or en (given ${JSON.stringify(values.locale)})`,
        'locale',
      );
    }
    return operate('dns-request', values, io, async (ctx) => {
      const domains = ctx.domainsGiven
        ? ctx.domains
        : ctx.domains.filter((d) => ctx.config.domains.find((s) => s.domain === d)?.dns.kind !== 'route53');
      if (values.resend) {
        const responses: DomainResponse[] = [];
        for (const domain of domains) responses.push(await ctx.send('dns-request', domain));
        for (const r of responses) {
          if (format === 'json') continue;
          io.stdout(`${r.domain} dns-request: ${r.outcome}${r.code ? ` [${r.code}]` : ''}: ${r.message[ctx.lang]}\n`);
        }
        if (format === 'json') io.stdout(`${JSON.stringify({ answers: responses }, null, 2)}\n`);
        return worst(responses.map(exitOf));
      }
      const responses = await ctx.sendAll('status', domains);
      if (format === 'json') {
        io.stdout(
          `${JSON.stringify(
            {
              environment: ctx.config.environment,
              requests: responses.flatMap((r) => (r.view?.requests ?? []).map((q) => ({ domain: r.domain, ...q }))),
            },
            null,
            2,
          )}\n`,
        );
        return worst(responses.map((r) => (r.outcome === 'done' ? ExitCode.OK : exitOf(r))));
      }
      const parts: string[] = [];
      for (const r of responses) {
        if (r.outcome !== 'done') {
          parts.push(`${r.domain}: ${r.message[ctx.lang]}${r.code ? ` [${r.code}]` : ''}\n`);
          continue;
        }
        const requests = r.view?.requests ?? [];
        if (requests.length === 0) parts.push(`${nothingOpen(ctx, r)}\n`);
        for (const q of requests) parts.push(render(ctx, r.domain, q, format, locale));
      }
      io.stdout(parts.join(format === 'markdown' ? '\n' : `\n${'='.repeat(72)}\n\n`));
      return worst(responses.map((r) => (r.outcome === 'done' ? ExitCode.OK : exitOf(r))));
    });
  },
};

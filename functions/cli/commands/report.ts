/**
 * `byodkim report`: the monthly report on demand — every domain's key, its age against the rotation
 * interval, rotations so far, DNS-team requests and their deadlines, problems, and the alarms firing —
 * built from the worker's status answers (the same data as `status`), in Japanese or English, as text,
 * Markdown or JSON.
 */
import { ValidationError } from '../../core/errors';
import { EXIT_CODES_HELP, ExitCode, INVOCATION, type Command } from '../command';
import { parseOptions } from './options';
import { OPERATE_HELP, OPERATE_OPTIONS, operate, type OperateContext } from '../operate/context';
import { collectStatus } from './status';
import type { DomainResponse } from '../../lifecycle/operator-answer';
import type { FiringAlarm } from '../operate/backend';
import { isHealthy } from '../operate/render';
import { formatDate, formatTime, table } from '../operate/text';

const USAGE = `usage: ${INVOCATION} report --env ENV [--domain DOMAIN]... [--format text|markdown|json] [common options]

The monthly report, now: for each domain the active key and its age against the rotation interval, the
next rotation, rotations completed so far, the open DNS-team requests and their deadlines, what needs
attention; and the environment's alarms firing. Built from the worker's status answers (read-only).

options:
  --format text|markdown|json  text (default), markdown (to mail or paste), json

${OPERATE_HELP}

examples:
  ${INVOCATION} report --env prod
  ${INVOCATION} report --env prod --format markdown --lang ja > dkim-report.md
  ${INVOCATION} report --env dev --local --advance 30d

${EXIT_CODES_HELP.replace('0 done (status: every domain healthy and no alarm firing)', '0 every domain healthy and no alarm firing')}`;

interface ReportRow {
  readonly domain: string;
  readonly healthy: boolean;
  readonly dnsMode?: string;
  readonly activeSelector?: string;
  readonly keyAgeDays?: number;
  readonly intervalDays?: number;
  readonly overInterval: boolean;
  readonly nextRotationAt?: string;
  readonly rotations?: number;
  readonly openRequests: number;
  readonly overdueRequests: number;
  readonly attention: string[];
}

function rowOf(r: DomainResponse, ctx: OperateContext): ReportRow {
  const v = r.view;
  const ja = ctx.lang === 'ja';
  const attention: string[] = [];
  if (r.outcome !== 'done') attention.push(r.message[ctx.lang]);
  if (v) {
    if (!v.ses.healthy)
      attention.push(ja ? 'SES が byodkim の鍵で署名していません' : 'SES does not sign with the byodkim key');
    if (v.dns.verdict === 'problem') attention.push(`${ja ? 'DNS レコード異常' : 'DNS record problem'}: ${v.dns.code}`);
    if (v.signingDisabledAt) attention.push(ja ? '署名が無効化されています' : 'signing disabled');
    if (v.rotation?.awaitingApproval) attention.push(ja ? '承認待ち（approve）' : 'waiting for approval (approve)');
    if (v.requests.some((q) => q.overdue)) attention.push(ja ? 'DNS 依頼が期限超過' : 'DNS request overdue');
    if (v.failure) attention.push(`${ja ? '失敗' : 'failure'}: ${v.failure.code}`);
  }
  const over = v?.keyAgeDays !== undefined && v.keyAgeDays > v.intervalDays;
  if (over) attention.push(ja ? '鍵がローテーション間隔を超過' : 'key older than its interval');
  return {
    domain: r.domain,
    healthy: isHealthy(v) && !over,
    ...(v
      ? {
          dnsMode: v.dnsMode,
          ...(v.activeSelector ? { activeSelector: v.activeSelector } : {}),
          ...(v.keyAgeDays !== undefined ? { keyAgeDays: v.keyAgeDays } : {}),
          intervalDays: v.intervalDays,
          ...(v.nextRotationAt ? { nextRotationAt: v.nextRotationAt } : {}),
          rotations: v.rotations,
        }
      : {}),
    overInterval: over,
    openRequests: v?.requests.length ?? 0,
    overdueRequests: v?.requests.filter((q) => q.overdue).length ?? 0,
    attention,
  };
}

function renderText(
  ctx: OperateContext,
  rows: readonly ReportRow[],
  alarms: readonly FiringAlarm[] | undefined,
  asOf: string | undefined,
  markdown: boolean,
): string {
  const ja = ctx.lang === 'ja';
  const month = formatDate(asOf, ctx.timeZone).slice(0, 7);
  const healthy = rows.filter((r) => r.healthy).length;
  const title = ja
    ? `byodkim DKIM 月次レポート — 環境 ${ctx.config.environment} — ${month}`
    : `byodkim DKIM monthly report — environment ${ctx.config.environment} — ${month}`;
  const summary = ja
    ? [
        `作成: ${formatTime(asOf, ctx.timeZone)}（${ctx.timeZone}）${ctx.backend.kind === 'local' ? '、ローカル（シミュレーション）' : ''}`,
        `ドメイン数: ${rows.length}（正常 ${healthy}、要対応 ${rows.length - healthy}）`,
        `ローテーション完了数（累計）: ${rows.reduce((n, r) => n + (r.rotations ?? 0), 0)}`,
        `間隔を超過した鍵: ${rows.filter((r) => r.overInterval).length}`,
        `未完了の DNS 依頼: ${rows.reduce((n, r) => n + r.openRequests, 0)}（期限超過 ${rows.reduce((n, r) => n + r.overdueRequests, 0)}）`,
        `発報中のアラーム: ${alarms === undefined ? '—（ローカル環境）' : alarms.length}`,
      ]
    : [
        `generated: ${formatTime(asOf, ctx.timeZone)} (${ctx.timeZone})${ctx.backend.kind === 'local' ? ', local (simulated)' : ''}`,
        `domains: ${rows.length} (${healthy} healthy, ${rows.length - healthy} need attention)`,
        `rotations completed (all time): ${rows.reduce((n, r) => n + (r.rotations ?? 0), 0)}`,
        `keys older than their interval: ${rows.filter((r) => r.overInterval).length}`,
        `open DNS-team requests: ${rows.reduce((n, r) => n + r.openRequests, 0)} (${rows.reduce((n, r) => n + r.overdueRequests, 0)} overdue)`,
        `alarms firing: ${alarms === undefined ? '— (local backend)' : alarms.length}`,
      ];
  const header = ja
    ? ['ドメイン', '状態', 'セレクター', '鍵の経過/間隔', '次回ローテーション', '累計', 'DNS依頼']
    : ['DOMAIN', 'STATE', 'SELECTOR', 'KEY AGE/INTERVAL', 'NEXT ROTATION', 'ROTATIONS', 'DNS REQUESTS'];
  const cells = rows.map((r) => [
    r.domain,
    r.healthy ? (ja ? '正常' : 'ok') : ja ? '要対応' : 'ATTENTION',
    r.activeSelector ?? '-',
    r.keyAgeDays !== undefined ? `${r.keyAgeDays}/${r.intervalDays}${ja ? ' 日' : ' d'}` : '-',
    formatDate(r.nextRotationAt, ctx.timeZone),
    String(r.rotations ?? '-'),
    r.openRequests
      ? `${r.openRequests}${r.overdueRequests ? (ja ? `（超過 ${r.overdueRequests}）` : ` (${r.overdueRequests} overdue)`) : ''}`
      : '-',
  ]);
  const attention = rows
    .filter((r) => r.attention.length > 0)
    .map((r) => `${r.domain}: ${r.attention.join(ja ? '、' : '; ')}`);
  const alarmList = (alarms ?? []).map((a) => `${a.name}${a.reason ? `: ${a.reason}` : ''}`);
  if (markdown) {
    const md = (cellsRow: readonly string[]) => `| ${cellsRow.join(' | ')} |`;
    return [
      `# ${title}`,
      '',
      ...summary.map((s) => `- ${s}`),
      '',
      md(header),
      md(header.map(() => '---')),
      ...cells.map(md),
      '',
      `## ${ja ? '要対応' : 'Needs attention'}`,
      '',
      ...(attention.length ? attention.map((a) => `- ${a}`) : [ja ? 'なし' : 'nothing']),
      ...(alarmList.length
        ? ['', `## ${ja ? '発報中のアラーム' : 'Alarms firing'}`, '', ...alarmList.map((a) => `- ${a}`)]
        : []),
      '',
    ].join('\n');
  }
  return [
    title,
    '',
    ...summary,
    '',
    table(header, cells),
    '',
    `${ja ? '要対応' : 'needs attention'}:`,
    ...(attention.length ? attention.map((a) => `  ${a}`) : [`  ${ja ? 'なし' : 'nothing'}`]),
    ...(alarmList.length ? [`${ja ? '発報中のアラーム' : 'alarms firing'}:`, ...alarmList.map((a) => `  ${a}`)] : []),
    '',
  ].join('\n');
}

export const reportCommand: Command = {
  name: 'report',
  summary: 'the monthly report on demand (text, Markdown or JSON)',
  usage: USAGE,
  async run(args, io) {
    const values = parseOptions(args, { ...OPERATE_OPTIONS, format: { type: 'string' } });
    const format = values.format ?? (values.json ? 'json' : 'text');
    if (format !== 'text' && format !== 'markdown' && format !== 'json') {
      throw new ValidationError(
        'INVALID_OPTION',
        `--format must be text, markdown or json (given ${JSON.stringify(format)})`,
        'format',
      );
    }
    return operate('report', values, io, async (ctx) => {
      const { responses, alarms } = await collectStatus(ctx);
      const rows = responses.map((r) => rowOf(r, ctx));
      const asOf = responses.find((r) => r.view)?.view?.observedAt;
      if (format === 'json') {
        io.stdout(
          `${JSON.stringify({ environment: ctx.config.environment, generatedAt: asOf ?? null, domains: rows, alarms: alarms ?? null }, null, 2)}\n`,
        );
      } else {
        io.stdout(renderText(ctx, rows, alarms, asOf, format === 'markdown'));
      }
      const healthy = rows.every((r) => r.healthy) && (alarms ?? []).length === 0;
      return healthy ? ExitCode.OK : ExitCode.FAILED;
    });
  },
};

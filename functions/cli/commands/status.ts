/**
 * `byodkim status`: every domain of an environment (or the ones named) as the worker sees it now, and the
 * environment's alarms that are firing. Exit 0 only when every domain is healthy and no alarm fires.
 */
import { EXIT_CODES_HELP, ExitCode, INVOCATION, type Command } from '../command';
import { parseOptions } from './options';
import { OPERATE_HELP, OPERATE_OPTIONS, operate, type OperateContext } from '../operate/context';
import type { DomainResponse } from '../../lifecycle/operator-answer';
import type { FiringAlarm } from '../operate/backend';
import { alarmLines, details, isHealthy, statusTable } from '../operate/render';
import { formatTime } from '../operate/text';

const USAGE = `usage: ${INVOCATION} status --env ENV [--domain DOMAIN]... [--json] [common options]

Shows each domain of the environment as the key manager sees it now: DNS mode, the active selector, the
key's age and the next rotation date, SES's DKIM status, the DNS verdict on the active record, the open
DNS-team requests and their deadlines — and the environment's CloudWatch alarms that are firing
(DescribeAlarms by the environment's alarm name prefix). Asks the worker Lambda (status: it reads and
observes, it changes nothing).

${OPERATE_HELP}

examples:
  ${INVOCATION} status --env prod
  ${INVOCATION} status --env prod --domain example.com --json
  ${INVOCATION} status --env prod --profile mail-ops --lang en
  ${INVOCATION} status --env dev --local                 # the simulated backend, no AWS
  ${INVOCATION} status --env dev --local --advance 7d    # one simulated week later

${EXIT_CODES_HELP.replace('0 done (status: every domain healthy and no alarm firing)', '0 every domain healthy (SES signs with its byodkim key, the record is right, no request overdue) and no alarm firing')}`;

/** Asks the status of every selected domain and the alarms. */
export async function collectStatus(
  ctx: OperateContext,
): Promise<{ responses: DomainResponse[]; alarms: readonly FiringAlarm[] | undefined }> {
  const responses = await ctx.sendAll('status', ctx.domains);
  const alarms = await ctx.backend.alarms();
  return { responses, alarms };
}

export function statusJson(
  ctx: OperateContext,
  responses: readonly DomainResponse[],
  alarms: readonly FiringAlarm[] | undefined,
) {
  return {
    environment: ctx.config.environment,
    backend: { kind: ctx.backend.kind, target: ctx.backend.target },
    healthy: responses.every((r) => isHealthy(r.view)) && (alarms ?? []).length === 0,
    domains: responses.map((r) => ({ ...r, healthy: isHealthy(r.view) })),
    alarms: alarms ?? null,
  };
}

export const statusCommand: Command = {
  name: 'status',
  summary: "show each domain's keys, SES, DNS, open DNS requests and firing alarms",
  usage: USAGE,
  async run(args, io) {
    const values = parseOptions(args, OPERATE_OPTIONS);
    return operate('status', values, io, async (ctx) => {
      const { responses, alarms } = await collectStatus(ctx);
      const healthy = responses.every((r) => isHealthy(r.view)) && (alarms ?? []).length === 0;
      if (ctx.json) {
        io.stdout(`${JSON.stringify(statusJson(ctx, responses, alarms), null, 2)}\n`);
      } else {
        const ja = ctx.lang === 'ja';
        const observed = responses.find((r) => r.view)?.view?.observedAt;
        const where =
          ctx.backend.kind === 'local'
            ? ja
              ? 'ローカル（シミュレーション）'
              : 'local (simulated)'
            : ctx.backend.target;
        io.stdout(
          [
            ja
              ? `環境 ${ctx.config.environment}（${where}）、${formatTime(observed, ctx.timeZone)} 時点（${ctx.timeZone}）`
              : `environment ${ctx.config.environment} (${where}), as of ${formatTime(observed, ctx.timeZone)} (${ctx.timeZone})`,
            '',
            statusTable(responses, ctx.lang, ctx.timeZone),
            '',
            ...responses.flatMap((r) => details(r, ctx.lang, ctx.timeZone)),
            ...alarmLines(alarms, ctx.lang, ctx.timeZone),
            healthy
              ? ja
                ? '結果: すべて正常です'
                : 'result: all healthy'
              : ja
                ? '結果: 対応が必要なドメインまたはアラームがあります'
                : 'result: some domain or alarm needs attention',
            '',
          ].join('\n'),
        );
      }
      return healthy ? ExitCode.OK : ExitCode.FAILED;
    });
  },
};

/**
 * `byodkim report`: the monthly report on demand — the same report the report Lambda mails on the 1st
 * (functions/monitoring/report.ts builds and renders it): every domain's selector, key age against its
 * interval, next rotation, the month's rotations and incidents, open DNS-team requests. On AWS the report
 * function builds the month now (without publishing it) and the CLI reads the REPORT item it wrote; with
 * --local it is built from the simulated state and audit trail by the same code.
 */
import { ValidationError } from '../../core/errors';
import { localDate } from '../../monitoring/time-zone';
import { renderMonthlyReport } from '../../monitoring/report';
import { ExitCode, INVOCATION, type Command } from '../command';
import { parseOptions } from './options';
import { OPERATE_HELP, OPERATE_OPTIONS, operate } from '../operate/context';

const USAGE = `usage: ${INVOCATION} report --env ENV [--month YYYY-MM] [--format text|json] [common options]

The monthly report, now: the report the report Lambda mails to the monitoring topic on the 1st, for any
month — by default the current one so far. For each domain: status, the active selector and its age
against the rotation interval, the next rotation, the month's rotations and incidents, open DNS-team
requests and their deadlines, and totals. On AWS the environment's report function builds it (it is not
mailed) and the command prints the REPORT item it wrote; with --local it is built from the simulated
environment by the same code. --domain does not apply: the report covers the environment.

options:
  --month YYYY-MM      the month (default: the current month in monitoring.reportTimeZone)
  --format text|json   text (both languages, --lang first; default) or the report's JSON

${OPERATE_HELP}

examples:
  ${INVOCATION} report --env prod
  ${INVOCATION} report --env prod --month 2026-11 --lang en
  ${INVOCATION} report --env prod --format json > report-2026-11.json
  ${INVOCATION} report --env dev --local --advance 30d

exit status: 0 nothing needs attention; 1 a DNS-team request overdue or a key older than its interval;
2 usage; 3 AWS error (invoking the report function: lambda:InvokeFunction on <prefix>-dkim-report;
reading the REPORT item: dynamodb:GetItem on <prefix>-dkim-state, and kms:Decrypt through DynamoDB)`;

export const reportCommand: Command = {
  name: 'report',
  summary: 'the monthly report on demand (the one mailed on the 1st), text or JSON',
  usage: USAGE,
  async run(args, io) {
    const values = parseOptions(args, { ...OPERATE_OPTIONS, format: { type: 'string' }, month: { type: 'string' } });
    const format = values.format ?? (values.json ? 'json' : 'text');
    if (format !== 'text' && format !== 'json') {
      throw new ValidationError(
        'INVALID_OPTION',
        `--format must be text or json (given ${JSON.stringify(format)})`,
        'format',
      );
    }
    if (values.domain) {
      throw new ValidationError(
        'INVALID_OPTION',
        '--domain does not apply: the report covers the whole environment',
        'domain',
      );
    }
    const given = values.month;
    if (given !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(given)) {
      throw new ValidationError(
        'INVALID_OPTION',
        `--month must be YYYY-MM, e.g. 2026-11 (given ${JSON.stringify(given)})`,
        'month',
      );
    }
    return operate('report', values, io, async (ctx) => {
      const month = given ?? localDate(ctx.backend.now(), ctx.config.monitoring.reportTimeZone).slice(0, 7);
      const report = await ctx.backend.monthlyReport(month);
      if (format === 'json') io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      else io.stdout(`${renderMonthlyReport(report, ctx.lang).message.trimEnd()}\n`);
      const attention = report.totals.overdueDnsRequests + report.totals.keysOverInterval;
      return attention > 0 ? ExitCode.FAILED : ExitCode.OK;
    });
  },
};

/**
 * `byodkim tick --local`: moves the simulated environment's clock forward — scheduled runs of the key
 * manager, SES's checks, the DNS team's answers all happen in between — and lists what was sent (DNS-team
 * requests, operator notices). `--reset` starts the local environment again.
 */
import { ValidationError } from '../../core/errors';
import { ExitCode, INVOCATION, type Command } from '../command';
import { parseOptions } from './options';
import { findEnvironment } from '../operate/environments';
import { LocalBackend, localStatePath, parseDuration, resetLocal } from '../operate/local';
import { formatTime } from '../operate/text';

const USAGE = `usage: ${INVOCATION} tick --local --env ENV [--advance DURATION] [--reset] [--lang ja|en] [--json]

The simulated backend only (--local): moves simulated time forward by DURATION (default 6h: one period
of the default schedule). Everything due in between happens: the key manager's scheduled runs on the
environment's schedule, SES's DNS checks, the DNS team publishing what it was asked to (within its lead
time). Prints the simulated time and every message sent meanwhile (to the DNS team, to operators).
Any command also takes --local --advance DURATION to do the same first.

options:
  --local            required: tick moves simulated time only
  --env ENV          the environment file envs/ENV.ts
  --advance DURATION 30m, 12h, 7d, 2w (default 6h)
  --reset            delete the local state of ENV first (start again: deployed now, Easy DKIM everywhere)
  --lang ja|en       the language of the messages (default: notifications.locale of envs/ENV.ts)
  --json             print JSON

examples:
  ${INVOCATION} tick --local --env dev --advance 1d
  ${INVOCATION} tick --local --env dev --reset
  ${INVOCATION} tick --local --env dev --advance 2w --json

exit status: 0 done; 2 usage (no --local, unknown environment, bad duration, history too long)`;

export const tickCommand: Command = {
  name: 'tick',
  summary: 'with --local: advance simulated time (scheduled runs, SES checks, the DNS team)',
  usage: USAGE,
  async run(args, io) {
    const values = parseOptions(args, {
      local: { type: 'boolean' },
      env: { type: 'string' },
      advance: { type: 'string' },
      reset: { type: 'boolean' },
      lang: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (!values.local) {
      throw new ValidationError(
        'INVALID_OPTION',
        'tick moves simulated time: it needs --local (AWS runs on its own schedule)',
        'local',
      );
    }
    if (!values.env) throw new ValidationError('INVALID_OPTION', '--env is required (e.g. --env dev)', 'env');
    const config = findEnvironment(values.env);
    const lang = values.lang ?? config.notifications.locale;
    if (lang !== 'ja' && lang !== 'en') throw new ValidationError('INVALID_OPTION', '--lang must be ja or en', 'lang');
    const ja = lang === 'ja';
    const ms = parseDuration(values.advance ?? '6h');
    const file = localStatePath(config.environment, io.cwd ?? process.cwd(), io.env ?? process.env);
    if (values.reset && resetLocal(file)) {
      io.stderr(ja ? `byodkim tick: ${file} を削除しました。\n` : `byodkim tick: deleted ${file}.\n`);
    }
    const backend = await LocalBackend.open(config, file);
    try {
      for (const note of backend.notes) io.stderr(`byodkim tick: note: ${note}\n`);
      const from = backend.clock;
      backend.newMessages();
      if (!values.reset || values.advance !== undefined) await backend.advance(ms);
      const sent = backend.newMessages();
      const tz = config.schedule.timeZone;
      const iso = (t: number) => new Date(t).toISOString();
      if (values.json) {
        io.stdout(
          `${JSON.stringify(
            {
              environment: config.environment,
              from: iso(from),
              to: iso(backend.clock),
              sent: sent.map((n) => ({
                kind: n.kind,
                audience: n.audience,
                domain: n.domain,
                to: n.to,
                subject: n.subject,
              })),
            },
            null,
            2,
          )}\n`,
        );
      } else {
        const lines = [
          ja
            ? `ローカル環境 ${config.environment}: シミュレーション時刻 ${formatTime(iso(from), tz)} → ${formatTime(iso(backend.clock), tz)}（${tz}）`
            : `local environment ${config.environment}: simulated time ${formatTime(iso(from), tz)} → ${formatTime(iso(backend.clock), tz)} (${tz})`,
          ja ? `送信されたメッセージ: ${sent.length} 件` : `messages sent: ${sent.length}`,
          ...sent.map(
            (n) =>
              `  ${n.audience === 'dns-team' ? (ja ? 'DNS 管理チーム' : 'DNS team') : ja ? '運用担当' : 'operators'}: ${n.subject[lang]}`,
          ),
          '',
        ];
        io.stdout(lines.join('\n'));
      }
      return ExitCode.OK;
    } finally {
      await backend.close();
    }
  },
};

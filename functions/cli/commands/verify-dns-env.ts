/**
 * `byodkim verify-dns --env ENV`: asks the environment's key manager to check DNS now (the worker's
 * `verify-dns`: it observes every authoritative server and resolver and takes the next step, e.g. a
 * verified new key moves on), and prints each domain's verdict on its active record and on the record of
 * a rotation in flight.
 */
import { ExitCode, type CommandIo } from '../command';
import { parseOptions } from './options';
import { OPERATE_OPTIONS, operate } from '../operate/context';
import { exitOf, worst } from './actions';

export const VERIFY_DNS_ENV_HELP = `against a deployed environment (or --local):
  verify-dns --env ENV [--domain DOMAIN]... [--json] [common options of status]
  asks the key manager to check DNS now for each domain (every authoritative server and resolver) and
  prints the verdict on the active record and on a new key's record; exit 0 when every active record is
  right, 1 when some record is wrong or missing, 3 on an AWS error, 4 busy`;

export async function verifyDnsEnv(args: readonly string[], io: CommandIo): Promise<number> {
  const values = parseOptions(args, OPERATE_OPTIONS);
  return operate('verify-dns', values, io, async (ctx) => {
    const responses = await ctx.sendAll('verify-dns', ctx.domains);
    if (ctx.json) {
      io.stdout(`${JSON.stringify({ environment: ctx.config.environment, answers: responses }, null, 2)}\n`);
    } else {
      const ja = ctx.lang === 'ja';
      for (const r of responses) {
        const v = r.view;
        if (r.outcome !== 'done' || !v) {
          io.stdout(`${r.domain}: ${r.message[ctx.lang]}${r.code ? ` [${r.code}]` : ''}\n`);
          continue;
        }
        const verdict =
          v.dns.verdict === 'ok'
            ? ja
              ? '正常'
              : 'OK'
            : v.dns.verdict === 'none'
              ? ja
                ? '有効な鍵なし'
                : 'no active key'
              : v.dns.verdict === 'unknown'
                ? ja
                  ? '未確認'
                  : 'not looked up'
                : ja
                  ? '異常'
                  : 'PROBLEM';
        io.stdout(
          `${r.domain}: ${v.activeSelector ?? '-'}: ${verdict}${v.dns.message ? ` — ${v.dns.message[ctx.lang]}` : ''}\n`,
        );
        const waiting = (r.conditions ?? []).find((c) => c.type === 'AwaitingDnsTeam' && c.status);
        if (v.rotation) {
          io.stdout(
            `${r.domain}: ${ja ? '新しい鍵' : 'new key'} ${v.rotation.selector}: ${v.rotation.state}${waiting ? ` — ${waiting.reason}` : ''}\n`,
          );
        }
      }
    }
    const problems = responses.some((r) => r.view?.dns.verdict === 'problem');
    const answered = worst(responses.map(exitOf));
    if (answered !== ExitCode.OK) return answered;
    return problems ? ExitCode.FAILED : ExitCode.OK;
  });
}

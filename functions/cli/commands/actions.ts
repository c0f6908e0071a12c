/**
 * The operator actions: `rotate` (the current operations' "force renewal"), `approve`, `disable`
 * (emergency: signing off), `enable`, `rollback`, `revoke` (a compromised key). Each sends the worker one
 * request per domain; the disruptive ones (DISRUPTIVE_ACTIONS) first ask, naming what will happen —
 * the domain, current → new selector, the effect on signing — unless given `--yes`.
 */
import { DISRUPTIVE_ACTIONS, type OperatorAction } from '../../core/contract';
import type { BilingualText } from '../../core/errors';
import { selectorProblem } from '../../core/names';
import type { DomainSpec } from '../../core/spec';
import type { DomainView } from '../../lifecycle/domain-view';
import type { DomainResponse } from '../../lifecycle/operator-answer';
import { EXIT_CODES_HELP, ExitCode, INVOCATION, type Command } from '../command';
import { parseOptions } from './options';
import { OPERATE_HELP, OPERATE_OPTIONS, confirm, operate, type OperateContext } from '../operate/context';
import { ValidationError } from '../../core/errors';

type ActionName = Extract<OperatorAction, 'rotate' | 'approve' | 'disable' | 'enable' | 'rollback' | 'revoke'>;

/** What the action will do to one domain, from the worker's current view (the confirmation prompt). */
export function describePlan(
  action: ActionName,
  spec: DomainSpec,
  view: DomainView | undefined,
  selector?: string,
): BilingualText {
  const d = spec.domain;
  const current = view?.activeSelector ?? (view?.ses.origin === 'AWS_SES' ? 'Easy DKIM' : undefined);
  const cur = { en: current ?? 'no byodkim key', ja: current ?? 'byodkim の鍵なし' };
  switch (action) {
    case 'rotate': {
      const next =
        spec.dns.kind === 'delegated'
          ? `${spec.selectorPrefix}1 / ${spec.selectorPrefix}2`
          : `${spec.selectorPrefix}-<yyyymmdd>-<n>`;
      const how: BilingualText =
        spec.dns.kind === 'route53'
          ? { en: 'byodkim writes its record in Route 53', ja: 'byodkim が Route 53 にレコードを登録します' }
          : spec.dns.kind === 'external'
            ? {
                en: `the DNS team (${spec.dns.contacts.join(', ')}) gets a change request, due in ${spec.dns.leadTimeDays} days`,
                ja: `DNS 管理チーム（${spec.dns.contacts.join(', ')}）に変更依頼を送ります（期限 ${spec.dns.leadTimeDays} 日後）`,
              }
            : {
                en: 'byodkim writes it into the free selector slot',
                ja: 'byodkim が空いているセレクタースロットに登録します',
              };
      return {
        en: `${d}: a new key is generated now and published (${how.en}). SES keeps signing with ${cur.en} until the new record is verified in DNS, then switches ${cur.en} → ${next}. No mail goes out unsigned.`,
        ja: `${d}: 新しい鍵を今すぐ生成して公開します（${how.ja}）。新しいレコードが DNS で検証されるまで SES は ${cur.ja} で署名を続け、その後 ${cur.ja} → ${next} に切り替えます。未署名のメールは発生しません。`,
      };
    }
    case 'approve': {
      const next = view?.rotation?.selector ?? '?';
      return {
        en: `${d}: SES switches ${cur.en} → ${next} now. Signing continues; ${cur.en} stays published for ${spec.rotation.graceDays} days (rollback is possible meanwhile).`,
        ja: `${d}: SES を今すぐ ${cur.ja} → ${next} に切り替えます。署名は継続し、${cur.ja} は ${spec.rotation.graceDays} 日間公開されたままです（その間はロールバック可能）。`,
      };
    }
    case 'disable':
      return {
        en: `${d}: SES stops signing NOW (SigningEnabled=false, current key ${cur.en}). Mail from ${d} goes out UNSIGNED — DKIM fails, DMARC relies on SPF alone — until you run enable.`,
        ja: `${d}: SES の署名を今すぐ停止します（SigningEnabled=false、現在の鍵 ${cur.ja}）。enable を実行するまで ${d} のメールは未署名で送信されます（DKIM は失敗し、DMARC は SPF のみに依存します）。`,
      };
    case 'enable':
      return { en: `${d}: SES signs again with ${cur.en}.`, ja: `${d}: SES の署名を ${cur.ja} で再開します。` };
    case 'rollback': {
      const back = view?.rollbackTo ?? '?';
      return {
        en: `${d}: SES switches back ${cur.en} → ${back} (the previous key, still in its grace period); ${cur.en} retires. Signing continues.`,
        ja: `${d}: SES を ${cur.ja} → ${back}（猶予期間中の旧鍵）に戻し、${cur.ja} は退役します。署名は継続します。`,
      };
    }
    case 'revoke': {
      const s = selector ?? '?';
      const signing = view?.activeSelector === s || view?.switchingTo?.selector === s;
      const alternative = view?.rotation?.state === 'dns-verified' ? view.rotation.selector : view?.rollbackTo;
      const effect: BilingualText = !signing
        ? {
            en: 'SES does not sign with it: signing is not affected.',
            ja: 'SES はこの鍵で署名していないため、署名への影響はありません。',
          }
        : alternative
          ? {
              en: `SES signs with it: it switches ${s} → ${alternative} at once (if that key is still verified), so signing continues.`,
              ja: `SES はこの鍵で署名中のため、直ちに ${s} → ${alternative} に切り替えます（その鍵が検証済みのままであれば）。署名は継続します。`,
            }
          : {
              en: `SES signs with it and no verified key is ready: signing turns OFF now (forged mail must not verify) and mail goes out UNSIGNED until a new key is published and verified.`,
              ja: `SES はこの鍵で署名中で、検証済みの代替鍵がありません。直ちに署名を停止し（偽装メールが検証に通らないように）、新しい鍵が公開・検証されるまでメールは未署名で送信されます。`,
            };
      return {
        en: `${d}: the key ${s} is treated as COMPROMISED: its record is revoked without a grace period and a new key is generated. ${effect.en}`,
        ja: `${d}: 鍵 ${s} を漏えいしたものとして扱います。猶予期間なしでレコードを失効させ、新しい鍵を生成します。${effect.ja}`,
      };
    }
  }
}

interface ActionSpec {
  readonly name: ActionName;
  readonly summary: string;
  readonly description: string;
  readonly examples: readonly string[];
}

const ACTIONS: readonly ActionSpec[] = [
  {
    name: 'rotate',
    summary: 'start a key rotation now (the "force renewal" of the current operations)',
    description:
      'Starts a rotation now, whatever the schedule says: a new key is generated and published, and SES\nswitches to it once its record is verified in DNS (with activation: manual, after approve). Refused\nwhile a rotation is in flight.',
    examples: ['rotate --env prod --domain example.com', 'rotate --env dev --domain dev.example.com --local --yes'],
  },
  {
    name: 'approve',
    summary: 'approve the switch to a verified new key (activation: manual)',
    description:
      'Approves the switch of SES to the new key, for domains with rotation.activation: manual. The key\nmust be verified in DNS (status shows dns-verified and "waiting for approval").',
    examples: [
      'approve --env prod --domain example.com',
      'approve --env prod --domain example.com --yes --actor alice',
    ],
  },
  {
    name: 'disable',
    summary: 'EMERGENCY: turn DKIM signing off now (mail goes out unsigned until enable)',
    description:
      'Emergency: turns SES DKIM signing off for the domain (SigningEnabled=false). Mail goes out unsigned\nuntil enable. Keys and records are kept; the key manager keeps signing off until enable.',
    examples: ['disable --env prod --domain example.com', 'disable --env dev --domain dev.example.com --local --yes'],
  },
  {
    name: 'enable',
    summary: 'turn DKIM signing on again after disable',
    description:
      'Turns SES DKIM signing on again after disable (not during a compromise hold: signing resumes by\nitself once the replacement key is verified).',
    examples: ['enable --env prod --domain example.com', 'enable --env dev --domain dev.example.com --local'],
  },
  {
    name: 'rollback',
    summary: 'switch SES back to the previous key (within its grace period)',
    description:
      'Switches SES back to the previous key while it is still in its grace period (its record still\npublished and its private key still stored); the current key retires.',
    examples: ['rollback --env prod --domain example.com', 'rollback --env prod --domain example.com --yes --json'],
  },
  {
    name: 'revoke',
    summary: 'COMPROMISED KEY: revoke a key now, without a grace period (--selector)',
    description:
      'A compromised key: revokes the key named by --selector without a grace period. If SES signs with\nit, SES switches to a verified key at once, or signing is turned off until a new key is verified.\nA new key is generated at once.',
    examples: [
      'revoke --env prod --domain example.com --selector byodkim-prod-20260601-1',
      'revoke --env dev --domain dev.example.com --selector byodkim-dev-20261201-1 --local --yes',
    ],
  },
];

function usageOf(spec: ActionSpec): string {
  const disruptive = DISRUPTIVE_ACTIONS.includes(spec.name);
  return `usage: ${INVOCATION} ${spec.name} --env ENV --domain DOMAIN${spec.name === 'revoke' ? ' --selector SELECTOR' : ''} [common options]

${spec.description}
${disruptive ? `\nAsks before acting, naming what will happen (the domain, current → new selector, the effect on signing);\n--yes skips the question. Without a terminal (a script, a pipe) it refuses unless given --yes (exit 5).\n` : ''}
${spec.name === 'revoke' ? 'options:\n  --selector SELECTOR  the selector (or key id) of the compromised key\n\n' : ''}${OPERATE_HELP}

examples:
${spec.examples.map((e) => `  ${INVOCATION} ${e}`).join('\n')}

${EXIT_CODES_HELP}`;
}

/** The exit code of an answer: done 0, refused 1, busy 4. */
export function exitOf(response: DomainResponse): number {
  return response.outcome === 'done' ? ExitCode.OK : response.outcome === 'busy' ? ExitCode.BUSY : ExitCode.FAILED;
}

/** The worst of several exit codes (busy over refused over ok). */
export function worst(codes: readonly number[]): number {
  return codes.reduce((a, b) => Math.max(a, b), ExitCode.OK);
}

function printAnswers(ctx: OperateContext, responses: readonly DomainResponse[]): void {
  if (ctx.json) {
    ctx.io.stdout(
      `${JSON.stringify({ environment: ctx.config.environment, backend: ctx.backend.kind, answers: responses }, null, 2)}\n`,
    );
    return;
  }
  const ja = ctx.lang === 'ja';
  for (const r of responses) {
    const label =
      r.outcome === 'done'
        ? ja
          ? '完了'
          : 'done'
        : r.outcome === 'busy'
          ? ja
            ? '混雑（未適用）'
            : 'BUSY (not applied)'
          : ja
            ? '拒否'
            : 'REFUSED';
    ctx.io.stdout(`${r.domain} ${r.action}: ${label}${r.code ? ` [${r.code}]` : ''}: ${r.message[ctx.lang]}\n`);
  }
}

function actionCommand(spec: ActionSpec): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: usageOf(spec),
    async run(args, io) {
      const options =
        spec.name === 'revoke' ? { ...OPERATE_OPTIONS, selector: { type: 'string' as const } } : OPERATE_OPTIONS;
      const values = parseOptions(args, options) as ReturnType<typeof parseOptions<typeof OPERATE_OPTIONS>> & {
        selector?: string;
      };
      if (!values.domain || values.domain.length === 0) {
        throw new ValidationError(
          'INVALID_OPTION',
          `--domain is required: ${spec.name} acts on the domains you name`,
          'domain',
        );
      }
      const selector = values.selector;
      if (spec.name === 'revoke') {
        if (!selector)
          throw new ValidationError(
            'INVALID_OPTION',
            '--selector is required: the selector of the compromised key',
            'selector',
          );
        const problem = selectorProblem(selector);
        if (problem) throw new ValidationError('INVALID_OPTION', `--selector ${problem}`, 'selector');
      }
      return operate(spec.name, values, io, async (ctx) => {
        const ja = ctx.lang === 'ja';
        if (DISRUPTIVE_ACTIONS.includes(spec.name) && !ctx.yes) {
          if (!io.ask) {
            io.stderr(
              ja
                ? `byodkim ${spec.name}: 確認なしでは実行しません。標準入力が端末ではないため確認できません。スクリプトから実行する場合は --yes を付けてください（終了コード 5）。\n`
                : `byodkim ${spec.name}: not confirmed: stdin is not a terminal, so byodkim cannot ask. Run it from a terminal, or add --yes to act without asking (exit 5).\n`,
            );
            return ExitCode.NOT_CONFIRMED;
          }
          const plans: string[] = [];
          for (const domain of ctx.domains) {
            const status = await ctx.send('status', domain);
            if (status.outcome !== 'done') {
              printAnswers(ctx, [status]);
              return exitOf(status);
            }
            const domainSpec = ctx.config.domains.find((d) => d.domain === domain)!;
            plans.push(`  ${describePlan(spec.name, domainSpec, status.view, selector)[ctx.lang]}`);
          }
          const header = ja
            ? `${spec.name} を環境 ${ctx.config.environment}${ctx.backend.kind === 'local' ? '（ローカル）' : ''} で実行すると:`
            : `${spec.name} in environment ${ctx.config.environment}${ctx.backend.kind === 'local' ? ' (local)' : ''} will do this:`;
          const answer = await confirm(ctx, [header, ...plans].join('\n'));
          if (answer !== true) {
            io.stderr(
              ja
                ? `byodkim ${spec.name}: 中止しました。何も変更していません。\n`
                : `byodkim ${spec.name}: cancelled; nothing was changed.\n`,
            );
            return ExitCode.NOT_CONFIRMED;
          }
        }
        const responses: DomainResponse[] = [];
        for (const domain of ctx.domains) {
          responses.push(await ctx.send(spec.name, domain, selector !== undefined ? { selector } : {}));
        }
        printAnswers(ctx, responses);
        return worst(responses.map(exitOf));
      });
    },
  };
}

export const actionCommands: readonly Command[] = ACTIONS.map(actionCommand);

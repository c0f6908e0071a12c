/**
 * What every command that operates an environment shares: its options (`--env`, `--domain`, `--profile`,
 * `--region`, `--local`, `--lang`, `--json`, `--yes`, `--actor`), the backend (the worker Lambda, or the
 * simulated one with `--local`), progress on stderr while waiting, the confirmation prompt, and turning
 * failures into the documented exit codes.
 */
import os from 'node:os';
import type { OperatorAction, OperatorRequest } from '../../core/contract';
import { ValidationError } from '../../core/errors';
import { toALabel } from '../../core/names';
import type { DomainResponse } from '../../lifecycle/operator-answer';
import { ExitCode, type CommandIo } from '../command';
import { BackendError, type Backend } from './backend';
import { findEnvironment, resourceNames, type EnvironmentConfig } from './environments';
import { LocalBackend, localStatePath, parseDuration } from './local';
import type { Lang } from './text';

/** Read requests (status, verify-dns) in flight at once against the worker Lambda. */
export const AWS_CONCURRENCY = 8;

/** The options every operating command takes (node:util parseArgs definitions). */
export const OPERATE_OPTIONS = {
  env: { type: 'string' },
  domain: { type: 'string', multiple: true },
  profile: { type: 'string' },
  region: { type: 'string' },
  local: { type: 'boolean' },
  advance: { type: 'string' },
  lang: { type: 'string' },
  json: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  actor: { type: 'string' },
} as const;

/** The common options' help lines. */
export const OPERATE_HELP = `common options:
  --env ENV          the environment: the file envs/ENV.ts (required)
  --domain DOMAIN    the domain (repeatable; Unicode names are converted to their A-label)
  --profile NAME     the AWS profile (default: the SDK's usual chain: AWS_PROFILE, SSO, environment, role)
  --region REGION    the AWS region (default: aws.region of envs/ENV.ts)
  --local            use the simulated backend built from envs/ENV.ts instead of AWS (state in
                     .byodkim-local/ENV.json, or $BYODKIM_LOCAL_DIR); nothing touches AWS
  --advance DURATION with --local: move simulated time forward first (30m, 12h, 7d, 2w)
  --lang ja|en       the language of messages (default: notifications.locale of envs/ENV.ts)
  --json             print JSON (stable field names) instead of text
  --yes, -y          do not ask before a disruptive action (rotate, approve, disable, rollback, revoke)
  --actor NAME       who is asking, for the audit trail (default: USER@host)`;

export interface OperateValues {
  readonly env?: string;
  readonly domain?: string[];
  readonly profile?: string;
  readonly region?: string;
  readonly local?: boolean;
  readonly advance?: string;
  readonly lang?: string;
  readonly json?: boolean;
  readonly yes?: boolean;
  readonly actor?: string;
}

export interface OperateContext {
  readonly command: string;
  readonly io: CommandIo;
  readonly config: EnvironmentConfig;
  readonly lang: Lang;
  readonly json: boolean;
  readonly yes: boolean;
  readonly actor: string;
  readonly backend: Backend;
  /** Times are shown in the environment's schedule time zone. */
  readonly timeZone: string;
  /** The domains asked for (A-labels), or every domain of the environment. */
  readonly domains: readonly string[];
  /** Whether --domain was given. */
  readonly domainsGiven: boolean;
  /** Sends one request, with progress on stderr while it waits. */
  send(action: OperatorAction, domain: string, extra?: { selector?: string }): Promise<DomainResponse>;
  /**
   * Sends one read request per domain, answers in the domains' order: on AWS up to
   * {@link AWS_CONCURRENCY} at once (a fleet's status is not one invocation after another); locally in
   * order (the simulated history is replayed in the same order).
   */
  sendAll(action: OperatorAction, domains: readonly string[]): Promise<DomainResponse[]>;
  /** Writes a line to stderr (notes, progress results). */
  note(text: string): void;
}

/** 1–128 printable ASCII characters: what the worker accepts as actor. */
function defaultActor(env: Readonly<Record<string, string | undefined>>): string {
  const user = env.USER ?? env.LOGNAME ?? env.USERNAME ?? (safeUser() || 'operator');
  const clean = (s: string) => s.replace(/[^\x21-\x7e]/g, '');
  return `${clean(user) || 'operator'}@${clean(os.hostname()) || 'cli'}`.slice(0, 128);
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return '';
  }
}

function usage(message: string, field: string): ValidationError {
  return new ValidationError('INVALID_OPTION', message, field);
}

/** The domains of `--domain` (A-labels), each checked against the environment file. */
function selectDomains(config: EnvironmentConfig, given: readonly string[] | undefined): string[] {
  const known = config.domains.map((d) => d.domain);
  if (!given || given.length === 0) return known;
  return given.map((name) => {
    const domain = toALabel(name);
    if (!known.includes(domain)) {
      throw usage(
        `--domain ${name} is not a domain of envs/${config.environment}.ts (its domains: ${known.join(', ')})`,
        'domain',
      );
    }
    return domain;
  });
}

/** Progress on stderr while `promise` runs (a TTY only): a spinner with what is being waited for. */
async function withProgress<T>(io: CommandIo, label: string | (() => string), promise: Promise<T>): Promise<T> {
  if (!io.stderrIsTTY) return promise;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  const started = Date.now();
  let i = 0;
  const draw = () => {
    const seconds = Math.floor((Date.now() - started) / 1000);
    io.stderr(`\r\x1b[2K${frames[i++ % frames.length]} ${typeof label === 'string' ? label : label()} ${seconds}s`);
  };
  draw();
  const timer = setInterval(draw, 120);
  try {
    return await promise;
  } finally {
    clearInterval(timer);
    io.stderr('\r\x1b[2K');
  }
}

/**
 * Opens the environment's backend, runs `body`, closes the backend, and maps failures to exit codes:
 * AWS and Lambda failures 3, usage errors are left to the dispatcher (2).
 */
export async function operate(
  command: string,
  values: OperateValues,
  io: CommandIo,
  body: (ctx: OperateContext) => Promise<number>,
): Promise<number> {
  if (!values.env) throw usage('--env is required (e.g. --env prod: the environment file envs/prod.ts)', 'env');
  const config = findEnvironment(values.env);
  const lang = (values.lang ?? config.notifications.locale) as Lang;
  if (lang !== 'ja' && lang !== 'en')
    throw usage(`--lang must be ja or en (given ${JSON.stringify(values.lang)})`, 'lang');
  if (values.local && (values.profile !== undefined || values.region !== undefined)) {
    throw usage('--local uses no AWS: --profile and --region do not apply', values.profile ? 'profile' : 'region');
  }
  if (values.advance !== undefined && !values.local) {
    throw usage('--advance moves simulated time: it needs --local', 'advance');
  }
  if (values.actor !== undefined && !/^[\x20-\x7e]{1,128}$/.test(values.actor)) {
    throw usage('--actor must be 1-128 printable ASCII characters', 'actor');
  }
  const domains = selectDomains(config, values.domain);
  const env = io.env ?? process.env;
  const names = resourceNames(config);
  let backend: Backend;
  if (values.local) {
    const advance = values.advance !== undefined ? parseDuration(values.advance) : undefined;
    const file = localStatePath(config.environment, io.cwd ?? process.cwd(), env);
    const local = await withProgress(
      io,
      lang === 'ja' ? 'ローカル環境を再構築しています…' : 'rebuilding the local environment…',
      LocalBackend.open(config, file),
    );
    for (const note of local.notes) io.stderr(`byodkim ${command}: note: ${note}\n`);
    if (local.isNew) {
      io.stderr(
        lang === 'ja'
          ? `byodkim ${command}: ローカル環境 ${config.environment} を作成しました（${file}）。AWS には接続しません。\n`
          : `byodkim ${command}: created the local environment ${config.environment} (${file}); nothing touches AWS.\n`,
      );
    }
    if (advance !== undefined) await local.advance(advance);
    backend = local;
  } else {
    // The AWS SDK is loaded only here: --local and --help never pay for it.
    const { AwsBackend } = await import('./aws-backend');
    backend = new AwsBackend(names, {
      region: values.region ?? config.aws.region,
      ...(values.profile ? { profile: values.profile } : {}),
    });
  }
  const actor = values.actor ?? defaultActor(env);
  const request = (action: OperatorAction, domain: string, selector?: string): OperatorRequest => ({
    kind: 'operator',
    action,
    domain,
    ...(selector !== undefined ? { selector } : {}),
    actor,
  });
  const waiting = (what: string) =>
    lang === 'ja'
      ? `${backend.kind === 'aws' ? backend.target : 'ローカル'} の応答を待っています（${what}）`
      : `waiting for ${backend.kind === 'aws' ? backend.target : 'the local backend'} (${what})`;
  const ctx: OperateContext = {
    command,
    io,
    config,
    lang,
    json: values.json === true,
    yes: values.yes === true,
    actor,
    backend,
    timeZone: config.schedule.timeZone,
    domains,
    domainsGiven: (values.domain?.length ?? 0) > 0,
    send: (action, domain, extra = {}) =>
      withProgress(io, waiting(`${domain} ${action}`), backend.request(request(action, domain, extra.selector))),
    note: (text) => io.stderr(`${text}\n`),
    async sendAll(action, domains) {
      if (domains.length === 1) return [await ctx.send(action, domains[0]!)];
      const answers: DomainResponse[] = new Array(domains.length);
      const width = backend.kind === 'aws' ? AWS_CONCURRENCY : 1;
      let next = 0;
      let done = 0;
      const lane = async () => {
        for (let i = next++; i < domains.length; i = next++) {
          answers[i] = await backend.request(request(action, domains[i]!));
          done += 1;
        }
      };
      const all = Promise.all(Array.from({ length: Math.min(width, domains.length) }, lane));
      await withProgress(io, () => waiting(`${action}: ${done}/${domains.length}`), all);
      return answers;
    },
  };
  try {
    const code = await body(ctx);
    if (backend instanceof LocalBackend) {
      // The sandbox shows what the simulated world sent meanwhile: what the DNS team and operators would get.
      for (const n of backend.newMessages()) {
        const to =
          n.audience === 'dns-team'
            ? lang === 'ja'
              ? 'DNS 管理チーム'
              : 'DNS team'
            : lang === 'ja'
              ? '運用担当'
              : 'operators';
        io.stderr(`(local) ${lang === 'ja' ? '送信' : 'sent to'} ${to}: ${n.subject[lang]}\n`);
      }
    }
    return code;
  } catch (error) {
    if (error instanceof BackendError) {
      io.stderr(`byodkim ${command}: ${awsErrorText(error, lang, names.worker, values)}\n`);
      return ExitCode.AWS;
    }
    throw error;
  } finally {
    await backend.close();
  }
}

function awsErrorText(error: BackendError, lang: Lang, worker: string, values: OperateValues): string {
  if (lang === 'en') return `${error.code}: ${error.message}`;
  const where = `${worker}${values.profile ? `（プロファイル ${values.profile}）` : ''}`;
  const ja: Record<string, string> = {
    NO_CREDENTIALS: `使用できる AWS 認証情報がありません。aws sso login などでサインインするか、--profile を指定してください。`,
    ACCESS_DENIED: `アクセスが拒否されました。現在の AWS の ID には ${where} を呼び出す権限がありません。`,
    NOT_FOUND: `${worker} が見つかりません。このアカウントとリージョンにデプロイされているか確認してください（--region、--profile）。`,
    FUNCTION_ERROR: `${worker} の実行が失敗しました。CloudWatch Logs を確認してください。`,
    INVALID_ANSWER: `${worker} の応答を解釈できません。CLI とデプロイ済みの Lambda のバージョンが一致しているか確認してください。`,
  };
  const text =
    ja[error.code] ??
    (error.kind === 'lambda'
      ? `${worker} がリクエストを受け付けませんでした。`
      : `AWS を呼び出せませんでした（ネットワーク、スロットリング、タイムアウトなど）。しばらくしてから再度実行してください。`);
  return `${text}\n  (${error.code}: ${error.message})`;
}

/** Asks for confirmation; true to go on. Without a terminal and without --yes: refuses. */
export async function confirm(ctx: OperateContext, plan: string): Promise<boolean | 'no-tty'> {
  if (ctx.yes) return true;
  const { io, lang } = ctx;
  if (!io.ask) return 'no-tty';
  io.stderr(`${plan}\n`);
  const answer = await io.ask(lang === 'ja' ? '実行しますか？ [y/N] ' : 'Proceed? [y/N] ');
  return answer !== undefined && /^(y|yes|はい)$/i.test(answer.trim());
}

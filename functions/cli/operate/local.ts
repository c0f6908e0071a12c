/**
 * `--local`: the simulated backend. The environment's domains (from the same `envs/` file) run in the
 * simulated world of `byodkim simulate` — in-memory SES, Route 53, key store and state table, a DNS team
 * that publishes what it is asked to (correctly, within its lead time) — driven by the real lifecycle
 * engine on the environment's schedule, and every request goes through the worker's own operator-request
 * path (lifecycle/operator-answer.ts). Nothing touches AWS or the network.
 *
 * What happened is kept in a local file, `.byodkim-local/<env>.json` (gitignored): the simulated clock
 * and the history of requests and time advances. Each command rebuilds the world from the environment
 * file and replays that history — the simulation is deterministic — then answers, so `disable` followed
 * by `status` shows the effect, and `tick --advance 7d` moves simulated time (scheduled runs, SES checks,
 * the DNS team). The file also holds the simulated key pairs (throwaway keys generated for this sandbox,
 * never used for mail): it is written with mode 0600.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { OperatorRequest } from '../../core/contract';
import { ValidationError } from '../../core/errors';
import { schedulePeriodMinutes } from '../../core/schedule-period';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../core/time';
import type { DomainSpec } from '../../core/spec';
import { answerOperatorRequest, type DomainResponse } from '../../lifecycle/operator-answer';
import type { KeyPair } from '../../lifecycle/ports';
import { reconcile } from '../../lifecycle/reconciler';
import { realKeyPairs } from '../../memory/keys';
import { SimDnsTeam } from '../../simulation/dns-team';
import { EventQueue } from '../../simulation/event-queue';
import { Prng } from '../../simulation/prng';
import { World } from '../../simulation/world';
import { buildMonthlyReport, type MonthlyReport } from '../../monitoring/report';
import type { Backend, FiringAlarm } from './backend';
import type { EnvironmentConfig } from './environments';

/** The directory of local state, relative to the working directory (BYODKIM_LOCAL_DIR overrides it). */
export const LOCAL_DIR = '.byodkim-local';
export const LOCAL_FORMAT = 1;
/** Simulated key pairs per environment (a domain's consecutive keys always differ). */
const KEY_PAIRS = 4;
/** The longest simulated history a local environment keeps (replaying it stays fast). */
export const MAX_LOCAL_DAYS = 3 * 366;
/** The worker sends a domain back to its queue when the engine asks to run again within this (SQS's limit). */
const MAX_REQUEUE_MS = 15 * MINUTE_MS;

export type LocalEvent =
  | { readonly at: number; readonly request: OperatorRequest }
  | { readonly at: number; readonly advance: true };

export interface LocalFile {
  readonly format: typeof LOCAL_FORMAT;
  readonly environment: string;
  /** When the simulated environment was deployed (epoch ms). */
  readonly start: number;
  /** The simulated clock now. */
  readonly now: number;
  readonly seed: number;
  /** The domains when the file was created (a changed env file is pointed out). */
  readonly domains: readonly string[];
  /** Throwaway simulated key pairs (never used for mail). */
  readonly keys: readonly KeyPair[];
  readonly history: readonly LocalEvent[];
}

/** `7d`, `12h`, `30m`, `2w` → milliseconds. */
export function parseDuration(text: string, flag = 'advance'): number {
  const match = /^(\d+(?:\.\d+)?)\s*(m|min|h|d|w)$/.exec(text.trim());
  const units: Record<string, number> = { m: MINUTE_MS, min: MINUTE_MS, h: HOUR_MS, d: DAY_MS, w: 7 * DAY_MS };
  const ms = match ? Math.round(Number(match[1]) * units[match[2]!]!) : NaN;
  if (!match || !(ms > 0)) {
    throw new ValidationError(
      'INVALID_OPTION',
      `--${flag} must be a duration such as 30m, 12h, 7d or 2w (given ${JSON.stringify(text)})`,
      flag,
    );
  }
  return ms;
}

/** Where an environment's local state lives. */
export function localStatePath(
  environment: string,
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const dir = env.BYODKIM_LOCAL_DIR ? path.resolve(cwd, env.BYODKIM_LOCAL_DIR) : path.join(cwd, LOCAL_DIR);
  return path.join(dir, `${environment}.json`);
}

function readFile(file: string, environment: string): LocalFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ValidationError('LOCAL_STATE_UNREADABLE', `cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed: LocalFile;
  try {
    parsed = JSON.parse(text) as LocalFile;
  } catch {
    throw new ValidationError(
      'LOCAL_STATE_INVALID',
      `${file} is not JSON: delete it (or run tick --local --reset) to start the local environment again`,
    );
  }
  if (
    parsed.format !== LOCAL_FORMAT ||
    parsed.environment !== environment ||
    !Array.isArray(parsed.history) ||
    !Array.isArray(parsed.keys) ||
    parsed.keys.length < 2 ||
    typeof parsed.start !== 'number' ||
    typeof parsed.now !== 'number'
  ) {
    throw new ValidationError(
      'LOCAL_STATE_INVALID',
      `${file} is not a byodkim local state of environment ${environment} (format ${LOCAL_FORMAT}): delete it (or run tick --local --reset) to start again`,
    );
  }
  return parsed;
}

/** The simulated environment, rebuilt from its file and history. */
export class LocalBackend implements Backend {
  readonly kind = 'local' as const;
  readonly target: string;
  /** Notes for the operator (e.g. the env file's domains changed since the state was created). */
  readonly notes: string[] = [];
  private world!: World;
  private queue!: EventQueue;
  private file!: LocalFile;
  private history: LocalEvent[] = [];
  private current = 0;
  private readonly specs = new Map<string, DomainSpec>();
  private created = false;
  private seen = 0;

  private constructor(
    private readonly config: EnvironmentConfig,
    private readonly statePath: string,
  ) {
    this.target = statePath;
  }

  /** Opens (or creates) the local environment and replays its history. `start`: the clock of a new one. */
  static async open(config: EnvironmentConfig, statePath: string, start = Date.now()): Promise<LocalBackend> {
    const backend = new LocalBackend(config, statePath);
    await backend.load(start);
    return backend;
  }

  /** Whether this command created the local state (its first use). */
  get isNew(): boolean {
    return this.created;
  }

  /** The simulated time now (epoch ms). */
  get clock(): number {
    return this.current;
  }

  /** When the simulated environment was deployed (epoch ms). */
  get startedAt(): number {
    return this.file.start;
  }

  private async load(start: number): Promise<void> {
    const existing = readFile(this.statePath, this.config.environment);
    const domains = this.config.domains.map((d) => d.domain);
    if (existing) {
      this.file = existing;
      const before = [...existing.domains].sort().join(', ');
      if (before !== [...domains].sort().join(', ')) {
        this.notes.push(
          `the domains of envs/${this.config.environment}.ts changed since the local state was created (${before}); the history is replayed with today's (${domains.join(', ')}). Run tick --local --reset to start again.`,
        );
      }
    } else {
      this.created = true;
      const minute = Math.floor(start / MINUTE_MS) * MINUTE_MS;
      this.file = {
        format: LOCAL_FORMAT,
        environment: this.config.environment,
        start: minute,
        now: minute,
        seed: 1,
        domains,
        keys: realKeyPairs(KEY_PAIRS),
        history: [],
      };
    }
    this.build();
    for (const event of this.file.history) {
      await this.advanceTo(event.at);
      if ('request' in event) await this.answer(event.request);
      this.history.push(event);
    }
    await this.advanceTo(this.file.now);
    this.seen = this.world.notifier.sent.length;
  }

  /** Messages sent since the last call (or since the history was replayed): the DNS team's and the operators'. */
  newMessages() {
    const sent = this.world.notifier.sent.slice(this.seen);
    this.seen = this.world.notifier.sent.length;
    return sent;
  }

  private build(): void {
    const file = this.file;
    this.world = new World({ start: file.start, keys: file.keys });
    this.queue = new EventQueue();
    const world = this.world;
    const queue = this.queue;
    const schedule = (at: number, domain: string, run: () => Promise<void> | void) => queue.push(at, domain, run);
    const team = new SimDnsTeam(
      new Prng(file.seed).fork('dns-team'),
      world.dns,
      world.clock,
      schedule,
      (d) => {
        const dns = world.spec(d).dns;
        return dns.kind === 'route53' ? 0 : dns.leadTimeDays;
      },
      (d) => world.spec(d).rotation.renewBeforeDays,
      // A DNS team that does what it is asked, within its lead time: the local backend shows the protocol,
      // `byodkim simulate` shows the mistakes.
      { mistakeRate: 0, lateRate: 0, veryLateRate: 0, repeatMistakeRate: 0 },
    );
    world.notifier.subscribe((n) => team.receive(n));
    const period = (schedulePeriodMinutes(this.config.schedule.expression) ?? 360) * MINUTE_MS;
    for (const domain of this.config.domains) {
      this.specs.set(domain.domain, domain);
      // Deployed today: each identity signs with Easy DKIM, as most do before byodkim adopts them.
      world.addDomain(domain, { kind: 'easy-dkim' });
      const run = async (): Promise<void> => {
        world.forDomain(domain.domain);
        const result = await reconcile(domain, world.ports);
        const after = result.requeueAfterMs;
        if (after !== undefined && after <= MAX_REQUEUE_MS) {
          schedule(world.clock.now() + Math.max(1000, after), domain.domain, run);
        }
      };
      // The schedule's first run follows the deploy, then one every period.
      const periodic = (at: number) =>
        schedule(at, domain.domain, async () => {
          periodic(at + period);
          await run();
        });
      periodic(file.start);
    }
  }

  /** Runs everything scheduled up to `t` (scheduled runs, requeues, the DNS team), then sets the clock to `t`. */
  private async advanceTo(t: number): Promise<void> {
    for (let next = this.queue.peek(); next && next.at <= t; next = this.queue.peek()) {
      this.queue.pop();
      this.world.clock.set(Math.max(this.world.clock.now(), next.at));
      await next.run();
    }
    this.world.clock.set(Math.max(this.world.clock.now(), t));
    this.current = this.world.clock.now();
  }

  private async answer(request: OperatorRequest): Promise<DomainResponse> {
    this.world.forDomain(request.domain);
    const { response } = await answerOperatorRequest(this.world.ports, this.specs.get(request.domain), request, {
      sleep: async () => undefined,
      random: () => 0,
    });
    return response;
  }

  async request(request: OperatorRequest): Promise<DomainResponse> {
    const response = await this.answer(request);
    this.history.push({ at: this.current, request });
    return response;
  }

  /** Moves simulated time forward by `ms`: every scheduled run, SES check and DNS-team answer in between happens. */
  async advance(ms: number): Promise<void> {
    const to = this.current + ms;
    if (to - this.file.start > MAX_LOCAL_DAYS * DAY_MS) {
      throw new ValidationError(
        'LOCAL_TOO_LONG',
        `the local environment keeps at most ${MAX_LOCAL_DAYS} simulated days (replayed on every command); run tick --local --reset to start again`,
        'advance',
      );
    }
    await this.advanceTo(to);
    this.history.push({ at: this.current, advance: true });
  }

  now(): number {
    return this.current;
  }

  /** The monthly report of `month`, built by the report Lambda's code from the simulated state and audit trail. */
  async monthlyReport(month: string): Promise<MonthlyReport> {
    const [year, m] = month.split('-').map(Number) as [number, number];
    const fleet = [];
    for (const spec of this.specs.values()) {
      const state = await this.world.stateStore.load(spec.domain);
      const events = this.world.stateStore.events
        .filter((e) => e.domain === spec.domain)
        .map((e) => ({ at: e.at, policy: e.policy, message: e.message, actions: e.actions }));
      fleet.push({ spec, ...(state ? { state } : {}), events });
    }
    return buildMonthlyReport(fleet, {
      environment: this.config.environment,
      year,
      month: m,
      timeZone: this.config.monitoring.reportTimeZone,
      locale: this.config.notifications.locale,
      now: this.current,
    });
  }

  async alarms(): Promise<readonly FiringAlarm[] | undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    const file: LocalFile = { ...this.file, now: this.current, history: this.history };
    fs.mkdirSync(path.dirname(this.statePath), { recursive: true, mode: 0o700 });
    const temp = `${this.statePath}.${process.pid}.tmp`;
    fs.writeFileSync(temp, `${JSON.stringify(file)}\n`, { mode: 0o600 });
    fs.renameSync(temp, this.statePath);
  }
}

/** Deletes an environment's local state; true when there was one. */
export function resetLocal(statePath: string): boolean {
  try {
    fs.unlinkSync(statePath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

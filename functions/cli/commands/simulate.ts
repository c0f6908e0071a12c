/**
 * `byodkim simulate`: runs the lifecycle engine over simulated years against in-memory AWS, a simulated
 * DNS team and injected faults, checking every invariant of DESIGN.md §4 after every step.
 */
import { parseArgs } from 'node:util';
import { ExitCode, INVOCATION, type Command } from '../command';
import { ValidationError } from '../../core/errors';
import { simulate, type SimDnsMode, type SimulationReport } from '../../simulation/simulate';

const USAGE = `usage: ${INVOCATION} simulate [--domains N] [--days D] [--dns-mode route53|external|delegated|mixed]
                            [--faults P] [--people P] [--operators P] [--seed S] [--json]

Runs the key lifecycle for N domains over D simulated days: the real reconciler on a 6-hourly schedule,
in-memory SES / Route 53 / Secrets Manager / DynamoDB / SNS that behave like the services, a DNS team that
answers late or makes the usual mistakes, and faults on every AWS call with probability P (throttling,
5xx, timeouts, crashes after the side effect, concurrent invocations of a domain). People change SES
and DNS by hand, and operators send commands that race the scheduled runs. Every invariant is checked
after every step. The same seed gives the same result.

options:
  --domains N     domains to simulate (default 10)
  --days D        simulated days (default 365)
  --dns-mode M    route53, external, delegated, or mixed (a third each; default mixed)
  --faults P      probability 0–0.5 that an AWS call fails (default 0)
  --people P      changes made by hand per domain per day: SES switched to Easy DKIM, signing off,
                  another key; a record deleted or edited (default 0)
  --operators P   operator commands per domain per day: rotate, disable/enable, rollback, revoke,
                  approve (default: as --people)
  --seed S        PRNG seed, an integer (default 1)
  --json          print the report as JSON

exit status: 0 when there are no invariant violations, no unsigned minutes caused by the engine (a
person's or an operator's are reported apart) and every key rotated within its interval (or the DNS team
was late); 1 otherwise; 2 on bad usage.`;

const MODES: readonly SimDnsMode[] = ['route53', 'external', 'delegated', 'mixed'];

function integer(value: string | undefined, fallback: number, flag: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ValidationError(
      'INVALID_OPTION',
      `--${flag} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`,
      flag,
    );
  }
  return n;
}

function probability(value: string | undefined, flag: string, max: number): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > max) {
    throw new ValidationError(
      'INVALID_OPTION',
      `--${flag} must be a probability from 0 to ${max} (got ${JSON.stringify(value)})`,
      flag,
    );
  }
  return n;
}

function pct(n: number, of: number): string {
  return of === 0 ? '0' : ((100 * n) / of).toFixed(1);
}

export function formatReport(r: SimulationReport): string {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(30)} ${value}`);
  lines.push(
    `byodkim simulate: ${r.domains} domains × ${r.days} days, dns mode ${r.dnsMode} (${r.modes.route53} route53, ${r.modes.external} external, ${r.modes.delegated} delegated), faults ${r.faults}, seed ${r.seed}`,
    `  adopted identities: ${r.adoptedFrom['easy-dkim']} on Easy DKIM, ${r.adoptedFrom.byodkim} on an existing BYODKIM key, ${r.adoptedFrom.none} new`,
    '',
  );
  row(
    'rotations completed',
    `${r.rotations.completed} (${r.rotations.firstActivations} first activations, ${r.rotations.scheduled} rotations)`,
  );
  row(
    'invariant violations',
    `${r.violations.total}${r.violations.total ? ` ${JSON.stringify(r.violations.byInvariant)}` : ''}`,
  );
  if (r.violations.first) {
    const v = r.violations.first;
    row('  first violation', `invariant ${v.invariant} (${v.title})`);
    row('', `${v.domain} at ${v.at}: ${v.message}`);
  }
  row(
    'maximum key age',
    `${r.keys.maxAgeDays} days (${r.keys.signed} keys signed; ${r.keys.overInterval} over the interval, ${r.keys.overIntervalExcused} of them because the DNS team answered late)`,
  );
  row('every key rotated in time', r.keys.rotatedWithinInterval ? 'yes' : 'NO');
  const cause = r.unsignedMinutesByCause;
  row(
    'unsigned mail',
    `${r.unsignedMinutes} minutes (engine ${cause.engine}, people ${cause.person}, operators ${cause.operator})`,
  );
  if (r.people.changes > 0) {
    const kinds = Object.entries(r.people.byKind)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    row('changes made by people', `${r.people.changes} (${kinds})`);
    row(
      '  longest unsigned after one',
      Object.entries(r.personUnsignedMaxMinutes)
        .map(([mode, m]) => `${mode} ${m} minutes`)
        .join(', ') || '0 minutes',
    );
    const phases = r.personUnsigned.byPhase;
    row(
      '  their unsigned minutes',
      `until the engine reacted ${phases.untilReaction}, repair ${phases.repair}, waiting for the DNS team ${phases.dnsTeam}`,
    );
    for (const [mode, max] of Object.entries(r.personUnsigned.maxPerEpisode)) {
      const reaction = r.personUnsigned.reactionMinutes[mode as keyof typeof r.personUnsigned.reactionMinutes];
      row(
        `  max per episode, ${mode}`,
        `until reaction ${max.untilReaction}, repair ${max.repair}, DNS team ${max.dnsTeam} minutes` +
          (reaction
            ? ` (engine reacted within ${reaction.max} min, mean ${reaction.mean}, ${reaction.count} changes)`
            : ''),
      );
    }
  }
  const o = r.operators;
  if (o.issued > 0) {
    row(
      'operator commands',
      `${o.issued} issued: ${o.applied} applied, ${o.refused} refused, ${o.busy} busy; ${o.retried} retried`,
    );
    for (const [action, t] of Object.entries(o.byAction)) {
      if (t.issued === 0) continue;
      row(
        `  ${action}`,
        `${t.issued} issued: ${t.applied} applied, ${t.refused} refused, ${t.busy} busy; ${t.retried} retried`,
      );
    }
  }
  row('compare-and-swap conflicts', `${r.casConflicts}`);
  row('DNS requests', `${r.dnsTeam.requests} (publish, revoke, CNAME setup)`);
  row('reminders / escalations', `${r.dnsTeam.reminders} / ${r.dnsTeam.escalations}`);
  row(
    'corrections sent',
    `${r.dnsTeam.corrections} (the DNS team made ${r.dnsTeam.mistakesMade} mistakes; ${r.dnsTeam.lateAnswers} answers after the lead time)`,
  );
  row('AWS calls per domain per day', `${r.aws.perDomainPerDay} (${r.aws.calls} calls)`);
  row(
    'faults injected',
    `${r.faultsInjected} (${r.crashes} crashes after a side effect; ${r.failedRuns} runs backed off; ${r.concurrentInvocations} concurrent invocations, ${r.divergentInvocations} of them from divergent reads)`,
  );
  row(
    'checks per invariant',
    Object.entries(r.checks)
      .map(([n, c]) => `${n}: ${c}`)
      .join(', '),
  );
  row('reconciler runs / steps', `${r.runs} / ${r.steps} (${pct(r.steps, r.runs)} steps per 100 runs)`);
  row('wall time', `${(r.wallMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'run the key lifecycle over simulated years with faults and check every invariant',
  usage: USAGE,
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        domains: { type: 'string' },
        days: { type: 'string' },
        'dns-mode': { type: 'string' },
        faults: { type: 'string' },
        people: { type: 'string' },
        operators: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    const domains = integer(values.domains, 10, 'domains', 1, 10_000);
    const days = integer(values.days, 365, 'days', 1, 36500);
    const seed = integer(values.seed, 1, 'seed', 0, 2 ** 32 - 1);
    const mode = (values['dns-mode'] ?? 'mixed') as SimDnsMode;
    if (!MODES.includes(mode)) {
      throw new ValidationError(
        'INVALID_OPTION',
        `--dns-mode must be one of ${MODES.join(', ')} (got ${JSON.stringify(mode)})`,
        'dns-mode',
      );
    }
    const faults = values.faults === undefined ? 0 : Number(values.faults);
    if (
      values.faults !== undefined &&
      (values.faults.trim() === '' || !Number.isFinite(faults) || faults < 0 || faults > 0.5)
    ) {
      throw new ValidationError(
        'INVALID_OPTION',
        `--faults must be a probability from 0 to 0.5 (got ${JSON.stringify(values.faults)})`,
        'faults',
      );
    }
    const people = probability(values.people, 'people', 1);
    const operators = values.operators === undefined ? people : probability(values.operators, 'operators', 1);
    const report = await simulate({ domains, days, dnsMode: mode, faults, seed, people, operators });
    io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    const ok =
      report.violations.total === 0 && report.unsignedMinutesByCause.engine === 0 && report.keys.rotatedWithinInterval;
    return ok ? ExitCode.OK : ExitCode.FAILED;
  },
};

/**
 * What a run *observes* before deciding: SES's DKIM attributes, the key store listing, DNS answers per
 * server, and pending Route 53 changes. `observationPlan` says what to look at (a pure function of the
 * spec and the recorded state); `checkRecord` turns DNS answers into a verdict with the record
 * diagnosis of `functions/dkim/diagnosis.ts` (the one and only DKIM record diagnosis).
 */
import { dkimRecordName, slotSelector as slotSelectorOf } from '../core/names';
import type { RecordDiagnosis, TxtAnswer } from '../dkim/dns-answer';
import { diagnoseRecord } from '../dkim/diagnosis';
import type { ChangeStatus, SesDkimAttributes, StoredKey } from './ports';
import type { DomainSpec } from '../core/spec';
import type { DomainState, KeyRecord } from './state';

/** The answers for one record name, one per server, plus the "domain appended twice" name when asked. */
export interface RecordObservation {
  readonly answers: readonly TxtAnswer[];
  readonly doubled?: readonly TxtAnswer[];
}

export interface Observations {
  /** undefined: the SES identity does not exist (yet). */
  readonly ses: SesDkimAttributes | undefined;
  readonly keys: readonly StoredKey[];
  /** By lookup name (`<selector>._domainkey.<domain>`). */
  readonly records: Readonly<Record<string, RecordObservation>>;
  readonly changes: Readonly<Record<string, ChangeStatus>>;
}

export interface ObservationPlan {
  readonly names: readonly string[];
  /** Names also looked up with the domain appended twice (records a DNS team published by hand). */
  readonly doubledFor: readonly string[];
  readonly changeIds: readonly string[];
}

/** Where resolvers look a selector up: `<selector>._domainkey.<domain>`. */
export function lookupName(spec: DomainSpec, selector: string): string {
  return dkimRecordName(selector, spec.domain);
}

/** The name with the domain appended twice (`…._domainkey.example.com.example.com`): a hand-publishing mistake. */
export function doubledName(spec: DomainSpec, selector: string): string {
  return `${lookupName(spec, selector)}.${spec.domain}`;
}

/** Delegated mode: the slot selector `<prefix><n>`. */
export function slotSelector(spec: DomainSpec, slot: 1 | 2): string {
  return slotSelectorOf(spec.selectorPrefix, slot);
}

/** Delegated mode: where slot `n`'s TXT record lives in the owned zone, `<prefix><n>.<zoneName>`. */
export function slotTarget(spec: DomainSpec, slot: 1 | 2): string {
  if (spec.dns.kind !== 'delegated') throw new Error('slotTarget: not a delegated domain');
  return `${slotSelector(spec, slot)}.${spec.dns.zoneName}`;
}

/** Where byodkim writes a key's TXT record: the zone and the name (route53 and delegated modes). */
export function recordLocation(spec: DomainSpec, key: KeyRecord): { zone: string; name: string } {
  switch (spec.dns.kind) {
    case 'route53':
      return { zone: spec.dns.hostedZoneId, name: lookupName(spec, key.selector) };
    case 'delegated':
      return { zone: spec.dns.zoneName, name: slotTarget(spec, key.slot ?? 1) };
    case 'external':
      throw new Error('recordLocation: the DNS team writes external records');
  }
}

/** Keys whose records the run must look at. */
function watchedKeys(state: DomainState): KeyRecord[] {
  return state.keys.filter(
    (k) =>
      k.state === 'dns-requested' ||
      k.state === 'dns-verified' ||
      k.state === 'active' ||
      k.state === 'retiring' ||
      (k.state === 'revoked' && k.revocation?.confirmedAt === undefined),
  );
}

export function observationPlan(spec: DomainSpec, state: DomainState): ObservationPlan {
  const names = new Set<string>();
  const doubledFor = new Set<string>();
  const changeIds = new Set<string>();
  for (const key of watchedKeys(state)) {
    const name = lookupName(spec, key.selector);
    names.add(name);
    if (spec.dns.kind === 'external' && (key.state === 'dns-requested' || key.state === 'revoked')) {
      doubledFor.add(name);
    }
    if (key.state === 'dns-requested' && key.route53ChangeId && key.route53InSyncAt === undefined) {
      changeIds.add(key.route53ChangeId);
    }
    if (key.revocation?.route53ChangeId && key.revocation.confirmedAt === undefined) {
      changeIds.add(key.revocation.route53ChangeId);
    }
  }
  if (spec.dns.kind === 'delegated' && state.delegation?.verifiedAt === undefined) {
    // The DNS team's CNAMEs: also look for them with the domain appended twice (a hand-entry mistake).
    for (const slot of [1, 2] as const) {
      const name = lookupName(spec, slotSelector(spec, slot));
      names.add(name);
      doubledFor.add(name);
    }
  }
  return { names: [...names], doubledFor: [...doubledFor], changeIds: [...changeIds] };
}

/** The verdict on one key's record across every server. */
export interface RecordCheck {
  /** Correct, byte-exact, on every authoritative server and every public resolver. */
  readonly verified: boolean;
  /** Correct on every authoritative server (public resolvers may still be catching up). */
  readonly authoritativeOk: boolean;
  /** The first problem found (authoritative servers first), or the match. */
  readonly diagnosis: RecordDiagnosis;
  /** True when the record was not looked at in this run (no answers). */
  readonly unobserved: boolean;
}

/** One (answer, selector, key)'s diagnosis: alone, and with each "domain appended twice" answer. */
interface MemoEntry {
  plain?: RecordDiagnosis;
  withDoubled?: WeakMap<TxtAnswer, RecordDiagnosis>;
}

/** Diagnoses per answer, selector and public key (nested: no key strings built on the hot path). */
const memo = new WeakMap<TxtAnswer, Map<string, Map<string, MemoEntry>>>();

function diagnose(
  spec: DomainSpec,
  selector: string,
  publicKey: string,
  answer: TxtAnswer,
  doubled?: TxtAnswer,
): RecordDiagnosis {
  // Answers are immutable and repeat run after run: diagnose each (answer, doubled answer, key) once.
  let bySelector = memo.get(answer);
  if (!bySelector) {
    bySelector = new Map();
    memo.set(answer, bySelector);
  }
  let byKey = bySelector.get(selector);
  if (!byKey) {
    byKey = new Map();
    bySelector.set(selector, byKey);
  }
  let entry = byKey.get(publicKey);
  if (!entry) {
    entry = {};
    byKey.set(publicKey, entry);
  }
  if (!doubled) return (entry.plain ??= diagnoseRecord({ selector, domain: spec.domain, publicKey }, answer));
  entry.withDoubled ??= new WeakMap();
  let result = entry.withDoubled.get(doubled);
  if (!result) {
    result = diagnoseRecord({ selector, domain: spec.domain, publicKey }, answer, doubled);
    entry.withDoubled.set(doubled, result);
  }
  return result;
}

const NOT_OBSERVED: RecordDiagnosis = {
  code: 'lookup-failed',
  ok: false,
  message: { en: 'the record was not looked up in this run', ja: 'この実行ではレコードを確認していません' },
};

/**
 * Verdicts per observation, selector and public key: several policies of one decision ask about the same
 * key's record (observations are never changed once made).
 */
const checks = new WeakMap<RecordObservation, Map<string, Map<string, RecordCheck>>>();

/** Diagnoses a key's record on every server with the shared record diagnosis. */
export function checkRecord(spec: DomainSpec, key: KeyRecord, obs: Observations): RecordCheck {
  const observation = obs.records[lookupName(spec, key.selector)];
  if (!observation || observation.answers.length === 0 || key.publicKey === undefined) {
    return { verified: false, authoritativeOk: false, diagnosis: NOT_OBSERVED, unobserved: true };
  }
  let bySelector = checks.get(observation);
  if (!bySelector) {
    bySelector = new Map();
    checks.set(observation, bySelector);
  }
  let byKey = bySelector.get(key.selector);
  if (!byKey) {
    byKey = new Map();
    bySelector.set(key.selector, byKey);
  }
  let check = byKey.get(key.publicKey);
  if (!check) {
    check = checkObservation(spec, key.selector, key.publicKey, observation);
    byKey.set(key.publicKey, check);
  }
  return check;
}

function checkObservation(
  spec: DomainSpec,
  selector: string,
  publicKey: string,
  observation: RecordObservation,
): RecordCheck {
  let firstProblem: RecordDiagnosis | undefined;
  let authoritativeOk = true;
  let verified = true;
  const ordered = [...observation.answers].sort((a, b) => rank(a) - rank(b));
  ordered.forEach((answer) => {
    const doubled = observation.doubled?.find((d) => d.server === answer.server);
    const result = diagnose(spec, selector, publicKey, answer, doubled);
    if (!result.ok) {
      verified = false;
      if (isAuthoritative(answer)) authoritativeOk = false;
      firstProblem ??= result;
    }
  });
  const diagnosis = firstProblem ?? diagnose(spec, selector, publicKey, ordered[0]);
  return { verified, authoritativeOk, diagnosis, unobserved: false };
}

/**
 * True when every server shows the key's selector revoked (`p=` empty) or gone — or, `explicit`, revoked
 * (`p=` empty) and nothing else.
 */
export function revocationVisible(
  spec: DomainSpec,
  key: KeyRecord,
  obs: Observations,
  accept: 'gone-or-revoked' | 'explicit' = 'gone-or-revoked',
): boolean {
  const observation = obs.records[lookupName(spec, key.selector)];
  if (!observation || observation.answers.length === 0) return false;
  return observation.answers.every((answer) => {
    if (answer.outcome === 'nxdomain' || answer.outcome === 'nodata') return accept === 'gone-or-revoked';
    if (answer.outcome !== 'answer') return false;
    if (key.publicKey === undefined) return false;
    const result = diagnose(spec, key.selector, key.publicKey, answer);
    // Anything that no longer carries this key: revoked, another key (delegated slot reused), no record.
    if (accept === 'explicit') return result.code === 'revoked';
    return result.code === 'revoked' || result.code === 'no-record' || result.code === 'wrong-key';
  });
}

export function isAuthoritative(answer: TxtAnswer): boolean {
  return (answer.server ?? '').startsWith('authoritative');
}

function rank(answer: TxtAnswer): number {
  return isAuthoritative(answer) ? 0 : 1;
}

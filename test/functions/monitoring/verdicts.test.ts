/**
 * The monitor's pure verdicts, alert and time-zone arithmetic, one case per rule (the handler's tests over
 * moto and loopback DNS cover each unhealthy condition end to end): the edges the handler tests do not
 * reach — drift to another selector or to signing off, a switch in progress, signing off on purpose, a
 * problem only in a resolver's cache, a record that is right but not byte-exact, no authoritative answer,
 * the wrong key length, SES unknown, a new domain — and the alert's subject, listing limit and schedule.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { DomainSpec } from '../../../functions/core/spec';
import { DAY_MS, HOUR_MS } from '../../../functions/core/time';
import type { TxtAnswer } from '../../../functions/dkim/dns-answer';
import { formatRecordValue, splitIntoStrings } from '../../../functions/dkim/record';
import type { SesDkimAttributes } from '../../../functions/lifecycle/ports';
import type { DomainState, KeyRecord } from '../../../functions/lifecycle/state';
import { MAX_DOMAINS_LISTED, renderAlert, shouldAlert, snsSubject } from '../../../functions/monitoring/alerts';
import { localDateTime, previousLocalMonth, startOfLocalMonth } from '../../../functions/monitoring/time-zone';
import {
  byteExact,
  judgeDomain,
  metricData,
  summarise,
  type DomainObservation,
  type DomainVerdicts,
} from '../../../functions/monitoring/verdicts';
import { testPairs } from '../lifecycle/helpers';

const NOW = Date.UTC(2026, 11, 2, 0, 30);
const SEL = 'mail-20261122-1';
const NEXT = 'mail-20261201-1';
const DOMAIN = 'example.jp';
const [key] = testPairs(1).map((p) => p.publicKey) as [string];
const key1024 = (
  generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' }) as Buffer
).toString('base64');
const SETTINGS = { now: NOW, keyManagerSilentMs: 13 * HOUR_MS };

const spec: DomainSpec = {
  domain: DOMAIN,
  selectorPrefix: 'mail',
  keyBits: 2048,
  dns: { kind: 'route53', hostedZoneId: 'Z0EXAMPLE' },
  rotation: { intervalDays: 180, renewBeforeDays: 30, graceDays: 7, activation: 'auto' },
};

function active(publicKey = key): KeyRecord {
  return {
    keyId: SEL,
    selector: SEL,
    state: 'active',
    reason: 'scheduled',
    publicKey,
    createdAt: NOW - 12 * DAY_MS,
    activatedAt: NOW - 10 * DAY_MS,
  };
}

function state(patch: Partial<DomainState> = {}, keys: KeyRecord[] = [active()]): DomainState {
  return {
    domain: DOMAIN,
    version: 4,
    createdAt: 0,
    updatedAt: NOW - DAY_MS,
    keys,
    notified: {},
    rotations: 1,
    ...patch,
  };
}

const ses = (patch: Partial<SesDkimAttributes> = {}) => ({
  kind: 'attributes' as const,
  attributes: {
    origin: 'EXTERNAL' as const,
    signingEnabled: true,
    status: 'SUCCESS' as const,
    tokens: [SEL],
    ...patch,
  },
});

const answer = (
  server: string,
  strings: string[] | undefined,
  outcome: TxtAnswer['outcome'] = 'answer',
): TxtAnswer => ({
  name: `${SEL}._domainkey.${DOMAIN}`,
  server,
  outcome,
  records: strings ? [strings] : [],
  cnameChain: [],
});
const EXACT = splitIntoStrings(formatRecordValue(key));
const AUTH = 'authoritative:ns1@192.0.2.1:53';
const RES = 'resolver:8.8.8.8:53';

function judge(patch: Partial<DomainObservation> = {}): DomainVerdicts {
  return judgeDomain(
    {
      spec,
      state: state(),
      heartbeat: { lastRunAt: NOW - HOUR_MS, outcome: 'done' },
      ses: ses(),
      dns: { kind: 'answers', answers: [answer(AUTH, EXACT), answer(RES, EXACT)] },
      ...patch,
    },
    SETTINGS,
  );
}

const codes = (v: DomainVerdicts) => v.findings.map((f) => `${f.severity} ${f.code}`);

describe('verdicts on one domain', () => {
  it('healthy: no finding, DkimHealthy 1', () => {
    const v = judge();
    expect(codes(v)).toEqual([]);
    expect(v).toMatchObject({ dkimHealthy: 1, sesHealthy: true, keyAgeDays: 10, activeSelector: SEL });
  });

  it('SES on another selector, or signing turned off outside byodkim: CRITICAL drift', () => {
    expect(judge({ ses: ses({ tokens: ['someone-else'] }) })).toMatchObject({
      drift: 'other-selector',
      dkimHealthy: 0,
    });
    expect(judge({ ses: ses({ signingEnabled: false }) })).toMatchObject({ drift: 'signing-disabled', dkimHealthy: 0 });
    expect(codes(judge({ ses: ses({ signingEnabled: false }) }))).toEqual(['CRITICAL SIGNING_DRIFT']);
  });

  it('a switch to the next key in progress: SES on it and PENDING is a WARNING while young, CRITICAL after 2 h', () => {
    const keys = [
      active(),
      { ...active(), keyId: NEXT, selector: NEXT, state: 'dns-verified' as const, activatedAt: undefined },
    ];
    const switching = (startedAgo: number) =>
      judge({
        state: state({ switching: { keyId: NEXT, startedAt: NOW - startedAgo, reason: 'activate' } }, keys),
        ses: ses({ tokens: [NEXT], status: 'PENDING' }),
      });
    expect(codes(switching(10 * 60_000))).toEqual(['WARNING SWITCH_IN_PROGRESS']);
    expect(switching(10 * 60_000).drift).toBeUndefined();
    expect(codes(switching(3 * HOUR_MS))).toEqual(['CRITICAL SES_NOT_SUCCESS']);
  });

  it('signing off on purpose (operator disable): a WARNING, not drift; DkimHealthy still 0 (mail is unsigned)', () => {
    const v = judge({ state: state({ signingDisabledAt: NOW - DAY_MS }), ses: ses({ signingEnabled: false }) });
    expect(codes(v)).toEqual(['WARNING SIGNING_DISABLED_BY_OPERATOR']);
    expect(v).toMatchObject({ dkimHealthy: 0 });
    expect(v.drift).toBeUndefined();
    expect(v.findings[0]!.message.ja).toContain('意図的に停止されています');
  });

  it('a wrong record only in a resolver’s cache: a WARNING record problem, DkimHealthy stays 1', () => {
    const v = judge({ dns: { kind: 'answers', answers: [answer(AUTH, EXACT), answer(RES, undefined, 'nxdomain')] } });
    expect(codes(v)).toEqual(['WARNING RECORD_MISSING']);
    expect(v).toMatchObject({ dkimHealthy: 1, record: { problem: 'missing', problemOnAuthoritative: false } });
  });

  it('the right key, not byte-exact (no space after ";"): INFO, healthy; the byte comparison is strict', () => {
    const loose = [formatRecordValue(key).replace(/; /g, ';')];
    const v = judge({ dns: { kind: 'answers', answers: [answer(AUTH, loose), answer(RES, EXACT)] } });
    expect(codes(v)).toEqual(['INFO RECORD_NOT_BYTE_EXACT']);
    expect(v.dkimHealthy).toBe(1);
    expect(v.record!.servers.map((s) => [s.code, s.byteExact])).toEqual([
      ['match', false],
      ['match', true],
    ]);
    expect(byteExact('v=DKIM1; p=A', 'v=DKIM1; p=A')).toBe(true);
    expect(byteExact('v=DKIM1; p=A ', 'v=DKIM1; p=A')).toBe(false);
  });

  it('no authoritative server answered: a WARNING, what is published is unknown', () => {
    const v = judge({ dns: { kind: 'answers', answers: [answer(AUTH, undefined, 'timeout'), answer(RES, EXACT)] } });
    expect(codes(v)).toEqual(['WARNING DNS_LOOKUP_FAILED']);
    expect(v.record).toMatchObject({ unknown: true });
  });

  it('an active key shorter than the spec’s keyBits: RECORD_KEY_LENGTH', () => {
    const record = splitIntoStrings(formatRecordValue(key1024));
    const v = judge({
      state: state({}, [active(key1024)]),
      dns: { kind: 'answers', answers: [answer(AUTH, record), answer(RES, record)] },
    });
    expect(codes(v)).toEqual(['CRITICAL RECORD_KEY_LENGTH']);
    expect(v.findings[0]!.message.en).toContain('the spec asks for 2048 bits');
  });

  it('SES unknown (throttled): a WARNING and no DkimHealthy datum; a new domain: INFO only, nothing counted', () => {
    const unknown = judge({ ses: { kind: 'error', code: 'THROTTLED', message: 'slow down' } });
    expect(codes(unknown)).toEqual(['WARNING SES_CHECK_FAILED']);
    expect(unknown.dkimHealthy).toBeUndefined();
    expect(metricData([unknown], summarise([unknown])).filter((d) => d.name === 'DkimHealthy')).toEqual([]);

    const fresh = judgeDomain({ spec, ses: ses({ origin: 'AWS_SES', tokens: ['a', 'b', 'c'] }) }, SETTINGS);
    expect(codes(fresh)).toEqual(['INFO NOT_YET_ACTIVE', 'INFO KEY_MANAGER_NOT_YET_RUN']);
    expect(summarise([fresh])).toMatchObject({ domainsUnhealthy: 0, signingDrift: 0, keyManagerSilent: 0 });
  });

  it('a key due for rotation: no warning while a rotation is in flight, one when none started', () => {
    const old = { ...active(), activatedAt: NOW - 160 * DAY_MS };
    expect(codes(judge({ state: state({}, [old]) }))).toEqual(['WARNING KEY_EXPIRING_NO_ROTATION']);
    expect(codes(judge({ state: state({ rotationRequestedAt: NOW - HOUR_MS }, [old]) }))).toEqual([]);
  });

  it('the run’s metric data: two per domain, then every count and MonitorRuns last', () => {
    const verdicts = [judge(), judge({ ses: ses({ status: 'FAILED' }) })];
    const data = metricData(verdicts, summarise(verdicts));
    expect(data.map((d) => `${d.name}${d.dimensions.Domain ? '@' : ''}=${d.value}`)).toEqual([
      'DkimHealthy@=1',
      'KeyAgeDays@=10',
      'DkimHealthy@=0',
      'KeyAgeDays@=10',
      'DomainsChecked=2',
      'DomainsUnhealthy=1',
      'RecordProblems=0',
      'SigningDrift=0',
      'KeysOverInterval=0',
      'KeysExpiringNoRotation=0',
      'DnsRequestsOverdue=0',
      'KeyManagerSilent=0',
      'MonitorRuns=1',
    ]);
  });
});

describe('the alert', () => {
  const options = { environment: 'prod', locale: 'en' as const, timeZone: 'Asia/Tokyo', now: NOW };

  it('is ASCII and at most 100 characters, whatever it is given', () => {
    expect(snsSubject('[byodkim] CRITICAL 本番: 1 domain unhealthy')).toBe('[byodkim] CRITICAL : 1 domain unhealthy');
    const long = snsSubject(`[byodkim] WARNING ${'x'.repeat(200)}`);
    expect(long).toHaveLength(100);
    expect(long.endsWith('...')).toBe(true);
  });

  it('lists at most 40 domains and counts the rest, with the Logs Insights query; English first for locale en', () => {
    const many = Array.from({ length: MAX_DOMAINS_LISTED + 5 }, (_, i) =>
      judgeDomain(
        {
          spec: { ...spec, domain: `d${String(i).padStart(2, '0')}.example` },
          state: { ...state(), domain: `d${String(i).padStart(2, '0')}.example` },
          heartbeat: { lastRunAt: NOW, outcome: 'done' },
          ses: ses({ status: 'FAILED' }),
        },
        SETTINGS,
      ),
    );
    const alert = renderAlert(many, summarise(many), options)!;
    expect(alert.subject).toBe('[byodkim] CRITICAL prod: 45 domains unhealthy');
    expect(alert.message).toContain('... and 5 more domains.');
    expect(alert.message).toContain('ほか 5 件。');
    expect(alert.message).toContain('filter message = "monitor.domain" and problems > 0');
    expect(alert.message).toContain('d39.example');
    expect(alert.message).not.toContain('d40.example');
    expect(alert.message.indexOf('byodkim monitor')).toBeLessThan(alert.message.indexOf('byodkim 監視'));
  });

  it('is none when only INFO findings; CRITICAL alerts every run, WARNING at the 09:00 hour of the zone only', () => {
    const fresh = judgeDomain({ spec, ses: ses() }, SETTINGS);
    expect(renderAlert([fresh], summarise([fresh]), options)).toBeUndefined();
    expect(shouldAlert('CRITICAL', NOW + 5 * HOUR_MS, 'Asia/Tokyo')).toBe(true);
    expect(shouldAlert('WARNING', NOW, 'Asia/Tokyo')).toBe(true); // 09:30 JST
    expect(shouldAlert('WARNING', NOW, 'UTC')).toBe(false); // 00:30 UTC
    expect(shouldAlert('INFO', NOW, 'Asia/Tokyo')).toBe(false);
  });
});

describe('time zones', () => {
  it('cuts months at local midnight, also across a DST change, and knows the previous month', () => {
    expect(new Date(startOfLocalMonth(2026, 11, 'Asia/Tokyo')).toISOString()).toBe('2026-10-31T15:00:00.000Z');
    expect(new Date(startOfLocalMonth(2026, 11, 'America/New_York')).toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(new Date(startOfLocalMonth(2026, 12, 'America/New_York')).toISOString()).toBe('2026-12-01T05:00:00.000Z');
    expect(previousLocalMonth(Date.UTC(2027, 0, 1, 0), 'Asia/Tokyo')).toEqual({ year: 2026, month: 12 });
    expect(previousLocalMonth(Date.UTC(2026, 11, 31, 16), 'Asia/Tokyo')).toEqual({ year: 2026, month: 12 });
    expect(localDateTime(NOW, 'Asia/Tokyo')).toBe('2026-12-02 09:30');
  });
});

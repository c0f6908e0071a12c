/**
 * The DNS verifier against real DNS servers on loopback: an authoritative server for example.test
 * (127.0.0.1), another for other.test (127.0.0.2, same port: the verifier asks discovered name servers on
 * one configurable port), and a recursive resolver (its own port).
 */
import {
  findAuthoritativeServers,
  lookupTxt,
  verifyDns,
  type DnsVerifierOptions,
} from '../../../functions/adapters/dns-verifier';
import type { ExpectedRecord } from '../../../functions/dkim/dns-answer';
import { DnsLookupError } from '../../../functions/dkim/errors';
import { formatRecordValue, splitIntoStrings } from '../../../functions/dkim/record';
import { startTestDnsServer, type TestDnsServer, type ZoneNode } from '../../support/dns-test-server';
import { testKey } from '../dkim/fixtures';

const DOMAIN = 'example.test';
const key = testKey(2048).publicKey;
const stale = testKey(2048, 'stale').publicKey;
const good = splitIntoStrings(formatRecordValue(key));
const expect_ = (selector: string): ExpectedRecord => ({ selector, domain: DOMAIN, publicKey: key });

const records: Record<string, ZoneNode> = {
  'example.test': { NS: ['ns1.example.test'] },
  'ns1.example.test': { A: ['127.0.0.1'] },
  'other.test': { NS: ['ns1.other.test'] },
  'ns1.other.test': { A: ['127.0.0.2'] },
  'good._domainkey.example.test': { TXT: [good] },
  'stale._domainkey.example.test': { TXT: [splitIntoStrings(formatRecordValue(stale))] },
  'twice._domainkey.example.test.example.test': { TXT: [good] },
  'nodata._domainkey.example.test': { A: ['192.0.2.1'] },
  'slot1._domainkey.example.test': { CNAME: 'slot1.dkim.other.test' },
  'slot1.dkim.other.test': { TXT: [good] },
  'loop._domainkey.example.test': { CNAME: 'loop2._domainkey.example.test' },
  'loop2._domainkey.example.test': { CNAME: 'loop._domainkey.example.test' },
  'flaky._domainkey.example.test': { TXT: [good] },
  'slow._domainkey.example.test': { TXT: [good] },
};
/** What the resolver has cached: the same zones, except an old value at `cached`. */
const resolverRecords: Record<string, ZoneNode> = {
  ...records,
  'cached._domainkey.example.test': { TXT: [splitIntoStrings(formatRecordValue(stale))] },
};
records['cached._domainkey.example.test'] = { TXT: [good] };

let auth: TestDnsServer;
let other: TestDnsServer;
let resolver: TestDnsServer;
let options: DnsVerifierOptions;

beforeAll(async () => {
  auth = await startTestDnsServer({ role: 'authoritative', zones: ['example.test'], records });
  other = await startTestDnsServer({
    role: 'authoritative',
    zones: ['other.test'],
    records,
    host: '127.0.0.2',
    port: auth.port,
  });
  resolver = await startTestDnsServer({
    role: 'recursive',
    records: resolverRecords,
    servfail: new Set(['flaky._domainkey.example.test']),
    noAnswer: new Set(['slow._domainkey.example.test']),
  });
  options = { resolvers: [resolver.address], nameServerPort: auth.port, timeoutMs: 300, retries: 1 };
});

afterAll(async () => {
  await Promise.all([auth, other, resolver].map((s) => s?.close()));
});

describe('finding the authoritative name servers', () => {
  it('walks up from _domainkey.<domain> to the zone with NS records and resolves their addresses', async () => {
    const found = await findAuthoritativeServers(`_domainkey.${DOMAIN}`, options);
    expect(found).toEqual({
      zone: 'example.test',
      servers: [{ nameServer: 'ns1.example.test', address: { host: '127.0.0.1', port: auth.port } }],
    });
  });

  it('fails with a DnsLookupError when no zone is found', async () => {
    await expect(findAuthoritativeServers('_domainkey.nowhere.invalid', options)).rejects.toThrow(DnsLookupError);
  });

  it('fails with RESOLVERS_UNREACHABLE when no resolver answers', async () => {
    await expect(
      findAuthoritativeServers('_domainkey.example.test', { ...options, resolvers: ['127.0.0.1:1'] }),
    ).rejects.toMatchObject({ code: 'RESOLVERS_UNREACHABLE' });
  });
});

describe('verifying a record on every server', () => {
  it('verifies a matching record on the authoritative server and the resolver, strings kept apart', async () => {
    const report = await verifyDns(expect_('good'), options);
    expect(report.verified).toBe(true);
    expect(report.zone).toBe('example.test');
    expect(report.servers.map((s) => [s.role, s.server, s.diagnosis.code])).toEqual([
      ['authoritative', auth.address, 'match'],
      ['resolver', resolver.address, 'match'],
    ]);
    expect(report.servers[0]!.nameServer).toBe('ns1.example.test');
    expect(report.servers[0]!.answer.records).toEqual([good]);
    expect(good.map((s) => s.length)).toEqual([255, 155]);
  });

  it('is not verified when one resolver still serves a stale value', async () => {
    const report = await verifyDns(expect_('cached'), options);
    expect(report.verified).toBe(false);
    expect(report.servers.map((s) => s.diagnosis.code)).toEqual(['match', 'wrong-key']);
  });

  it('follows a CNAME into another zone through that zone’s own name servers (authoritative servers do not)', async () => {
    const report = await verifyDns(expect_('slot1'), options);
    expect(report.verified).toBe(true);
    for (const s of report.servers) {
      expect(s.diagnosis).toMatchObject({ code: 'match', viaCname: ['slot1.dkim.other.test'] });
    }
    // The example.test server returned the CNAME alone; other.test's server (127.0.0.2) gave the TXT.
    expect(other.queries.log).toContain('udp slot1.dkim.other.test 16');
  });

  it('names the domain appended twice, having asked the doubled name', async () => {
    const report = await verifyDns(expect_('twice'), options);
    expect(report.verified).toBe(false);
    for (const s of report.servers) {
      expect(s.answer.outcome).toBe('nxdomain');
      expect(s.doubled?.name).toBe('twice._domainkey.example.test.example.test');
      expect(s.diagnosis.code).toBe('domain-appended-twice');
    }
  });

  it('tells NXDOMAIN from NODATA', async () => {
    const missing = await verifyDns(expect_('missing'), options);
    expect(missing.servers.map((s) => [s.answer.outcome, s.diagnosis.code])).toEqual([
      ['nxdomain', 'no-record'],
      ['nxdomain', 'no-record'],
    ]);
    const nodata = await verifyDns(expect_('nodata'), options);
    expect(nodata.servers.map((s) => s.answer.outcome)).toEqual(['nodata', 'nodata']);
    expect(nodata.servers[0]!.diagnosis.message.en).toContain('NODATA');
  });

  it('reports SERVFAIL as a failed lookup, not as a finding about the record', async () => {
    const report = await verifyDns(expect_('flaky'), options);
    expect(report.verified).toBe(false);
    expect(report.servers.map((s) => [s.answer.outcome, s.diagnosis.code])).toEqual([
      ['answer', 'match'],
      ['servfail', 'lookup-failed'],
    ]);
  });

  it('times out per server after the configured retries', async () => {
    const before = resolver.queries.log.filter((l) => l.startsWith('udp slow.')).length;
    const started = Date.now();
    const report = await verifyDns(expect_('slow'), options);
    const tries = resolver.queries.log.filter((l) => l.startsWith('udp slow.')).length - before;
    expect(tries).toBe(2); // the first try and one retry
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(report.servers[1]!.answer.outcome).toBe('timeout');
    expect(report.servers[1]!.diagnosis.code).toBe('lookup-failed');
    expect(report.servers[0]!.diagnosis.code).toBe('match');
  });

  it('reports a CNAME loop as a failed lookup', async () => {
    const report = await verifyDns(expect_('loop'), options);
    expect(report.servers.every((s) => s.diagnosis.code === 'lookup-failed')).toBe(true);
    expect(report.servers[0]!.detail).toMatch(/CNAME loop/);
  });

  it('reports an unreachable server with the socket error', async () => {
    const report = await verifyDns(expect_('good'), { ...options, authoritative: 'none', resolvers: ['127.0.0.1:1'] });
    expect(report.verified).toBe(false);
    expect(report.servers[0]!.diagnosis.code).toBe('lookup-failed');
    expect(report.servers[0]!.detail).toMatch(/ECONNREFUSED/);
  });

  it('asks given authoritative servers instead of discovering them', async () => {
    const report = await verifyDns(expect_('good'), { ...options, authoritative: [auth.address], resolvers: [] });
    expect(report.zone).toBeUndefined();
    expect(report.servers.map((s) => [s.role, s.server])).toEqual([['authoritative', auth.address]]);
    expect(report.verified).toBe(true);
  });

  it('is never verified with no server to ask', async () => {
    await expect(verifyDns(expect_('good'), { ...options, authoritative: 'none', resolvers: [] })).rejects.toThrow(
      /no DNS server to ask/,
    );
  });
});

describe('servers that cannot be asked', () => {
  it('a server name that does not resolve is unreachable (ENOTFOUND), reported, not thrown', async () => {
    const { answer, detail } = await lookupTxt(
      { host: 'ns.invalid', port: 53 },
      'good._domainkey.example.test',
      'authoritative',
      options,
    );
    expect(answer).toMatchObject({ outcome: 'unreachable', server: 'ns.invalid:53', records: [] });
    expect(answer.socketError).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/);
    expect(detail).toContain('ns.invalid');
  });

  it('a refused connection (ICMP port unreachable) is unreachable, not a DNS REFUSED answer', async () => {
    const { answer, detail } = await lookupTxt(
      { host: '127.0.0.1', port: 1 },
      'good._domainkey.example.test',
      'resolver',
      options,
    );
    expect(answer).toMatchObject({ outcome: 'unreachable', socketError: 'ECONNREFUSED' });
    expect(detail).toMatch(/ECONNREFUSED/);
  });

  it('a DNS REFUSED answer (rcode 5: the server runs but does not serve the zone) is refused', async () => {
    const { answer } = await lookupTxt(
      { host: '127.0.0.1', port: auth.port },
      'good._domainkey.nowhere.test',
      'authoritative',
      options,
    );
    expect(answer.outcome).toBe('refused');
    expect(answer.socketError).toBeUndefined();
  });

  it('says whether each server answered authoritatively (the AA flag)', async () => {
    const report = await verifyDns(expect_('good'), options);
    expect(report.servers.map((s) => [s.role, s.aa])).toEqual([
      ['authoritative', true],
      ['resolver', false],
    ]);
  });

  it('a verification with an unresolvable server reports it per server and still asks the others', async () => {
    const report = await verifyDns(expect_('good'), {
      ...options,
      authoritative: ['ns.invalid', auth.address],
      resolvers: [],
    });
    expect(report.servers.map((s) => [s.server, s.answer.outcome, s.diagnosis.code])).toEqual([
      ['ns.invalid:53', 'unreachable', 'lookup-failed'],
      [auth.address, 'answer', 'match'],
    ]);
  });
});

describe('the wire', () => {
  it('retries over TCP when the UDP answer is truncated, keeping the character-strings', async () => {
    const truncating = await startTestDnsServer({ role: 'recursive', records, truncateUdp: true });
    try {
      const { answer } = await lookupTxt(
        { host: '127.0.0.1', port: truncating.port },
        'good._domainkey.example.test',
        'resolver',
        options,
      );
      expect(answer).toMatchObject({ outcome: 'answer', records: [good] });
      expect(truncating.queries).toMatchObject({ udp: 1, tcp: 1 });
    } finally {
      await truncating.close();
    }
  });
});

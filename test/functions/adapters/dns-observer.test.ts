/**
 * The real DnsObserver end to end against DNS servers on loopback: an authoritative server for
 * example.test (127.0.0.1), another for other.test (127.0.0.2, same port: discovered name servers are
 * asked on one configurable port), a recursive resolver, a resolver that never answers and an address
 * where nothing listens.
 */
import { createSocket, type Socket } from 'node:dgram';
import { NetworkDnsObserver, type NetworkDnsObserverOptions } from '../../../functions/adapters/dns-observer';
import { isAuthoritative } from '../../../functions/lifecycle/observations';
import type { DnsObserver } from '../../../functions/lifecycle/ports';
import { formatRecordValue, splitIntoStrings } from '../../../functions/dkim/record';
import { startTestDnsServer, type TestDnsServer, type ZoneNode } from '../../support/dns-test-server';
import { testKey } from '../dkim/fixtures';

const good = splitIntoStrings(formatRecordValue(testKey(2048).publicKey));
const stale = splitIntoStrings(formatRecordValue(testKey(2048, 'stale').publicKey));

const records: Record<string, ZoneNode> = {
  'example.test': { NS: ['ns1.example.test'] },
  'ns1.example.test': { A: ['127.0.0.1'] },
  'other.test': { NS: ['ns1.other.test'] },
  'ns1.other.test': { A: ['127.0.0.2'] },
  's1._domainkey.example.test': { TXT: [good] },
  'slot1._domainkey.example.test': { CNAME: 'slot1.dkim.other.test' },
  'slot1.dkim.other.test': { TXT: [good] },
  'cached._domainkey.example.test': { TXT: [good] },
};
/** The resolver still has an old value of `cached` (its cache has not expired). */
const resolverRecords: Record<string, ZoneNode> = { ...records, 'cached._domainkey.example.test': { TXT: [stale] } };

let auth: TestDnsServer;
let other: TestDnsServer;
let resolver: TestDnsServer;
/** A UDP socket that receives queries and never answers. */
let silent: Socket;
let silentAddress: string;
let now: number;
let base: NetworkDnsObserverOptions;

beforeAll(async () => {
  auth = await startTestDnsServer({ role: 'authoritative', zones: ['example.test'], records });
  other = await startTestDnsServer({
    role: 'authoritative',
    zones: ['other.test'],
    records,
    host: '127.0.0.2',
    port: auth.port,
  });
  resolver = await startTestDnsServer({ role: 'recursive', records: resolverRecords });
  silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  silentAddress = `127.0.0.1:${silent.address().port}`;
});

afterAll(async () => {
  silent?.close();
  await Promise.all([auth, other, resolver].map((s) => s?.close()));
});

beforeEach(() => {
  now = 1_000_000;
  base = {
    resolvers: [resolver.address],
    nameServerPort: auth.port,
    // Loopback servers answer in about a millisecond; a generous timeout and one retry keep a loaded CI
    // machine (a cold jest worker) from turning a slow first answer into a timeout. The test that measures
    // the timeout sets its own.
    timeoutMs: 1_000,
    retries: 1,
    now: () => now,
  };
});

const nsQueries = () => resolver.queries.log.filter((l) => l.endsWith(' 2')).length;

describe('NetworkDnsObserver', () => {
  it('is a DnsObserver: one answer per server, authoritative ones first, labelled by role', async () => {
    const observer: DnsObserver = new NetworkDnsObserver(base);
    const answers = await observer.lookupTxt('s1._domainkey.example.test');
    expect(answers.map((a) => [a.server, a.outcome, isAuthoritative(a)])).toEqual([
      [`authoritative:ns1.example.test@${auth.address}`, 'answer', true],
      [`resolver:${resolver.address}`, 'answer', false],
    ]);
    for (const a of answers) {
      expect(a).toMatchObject({ name: 's1._domainkey.example.test', records: [good], cnameChain: [] });
    }
  });

  it('shows what each server says: the authoritative value and a resolver’s stale cache apart', async () => {
    const answers = await new NetworkDnsObserver(base).lookupTxt('cached._domainkey.example.test');
    expect(answers.map((a) => a.records)).toEqual([[good], [stale]]);
  });

  it('follows a CNAME into another zone through that zone’s own name servers', async () => {
    const answers = await new NetworkDnsObserver(base).lookupTxt('slot1._domainkey.example.test');
    expect(answers.map((a) => [a.outcome, a.cnameChain])).toEqual([
      ['answer', ['slot1.dkim.other.test']],
      ['answer', ['slot1.dkim.other.test']],
    ]);
    expect(answers.every((a) => a.records[0]?.join('') === good.join(''))).toBe(true);
    expect(other.queries.log).toContain('udp slot1.dkim.other.test 16');
  });

  it('reports NXDOMAIN per server (the lifecycle then asks the doubled name itself)', async () => {
    const answers = await new NetworkDnsObserver(base).lookupTxt('missing._domainkey.example.test');
    expect(answers.map((a) => a.outcome)).toEqual(['nxdomain', 'nxdomain']);
  });

  it('caches the zone’s name servers for a short time, then finds them again', async () => {
    const observer = new NetworkDnsObserver({ ...base, nameServerCacheMs: 60_000 });
    const before = nsQueries();
    await observer.lookupTxt('s1._domainkey.example.test');
    const first = nsQueries() - before;
    expect(first).toBeGreaterThan(0);
    // Another selector of the same domain, within the cache time: no NS lookup at all.
    await observer.lookupTxt('cached._domainkey.example.test');
    now += 59_000;
    await observer.lookupTxt('s1._domainkey.example.test');
    expect(nsQueries() - before).toBe(first);
    now += 2_000;
    await observer.lookupTxt('s1._domainkey.example.test');
    expect(nsQueries() - before).toBe(2 * first);
  });

  it('shares one discovery between concurrent lookups', async () => {
    const observer = new NetworkDnsObserver(base);
    const before = nsQueries();
    await Promise.all([
      observer.lookupTxt('s1._domainkey.example.test'),
      observer.lookupTxt('cached._domainkey.example.test'),
      observer.lookupTxt('missing._domainkey.example.test'),
    ]);
    const concurrent = nsQueries() - before;
    const single = nsQueries();
    await new NetworkDnsObserver(base).lookupTxt('s1._domainkey.example.test');
    expect(concurrent).toBe(nsQueries() - single);
  });

  it('a resolver that never answers times out on its own, within the configured timeout and retries', async () => {
    const observer = new NetworkDnsObserver({
      ...base,
      resolvers: [resolver.address, silentAddress],
      discoveryResolvers: [resolver.address],
      timeoutMs: 300,
      retries: 1,
    });
    const started = Date.now();
    const answers = await observer.lookupTxt('s1._domainkey.example.test');
    const elapsed = Date.now() - started;
    expect(answers.map((a) => [a.server, a.outcome])).toEqual([
      [`authoritative:ns1.example.test@${auth.address}`, 'answer'],
      [`resolver:${resolver.address}`, 'answer'],
      [`resolver:${silentAddress}`, 'timeout'],
    ]);
    expect(elapsed).toBeGreaterThanOrEqual(550); // two tries of 300 ms
    expect(elapsed).toBeLessThan(2_000);
  });

  it('a server where nothing listens is unreachable (ECONNREFUSED), not a DNS REFUSED answer', async () => {
    const observer = new NetworkDnsObserver({
      ...base,
      resolvers: [resolver.address, '127.0.0.1:1'],
      discoveryResolvers: [resolver.address],
    });
    const answers = await observer.lookupTxt('s1._domainkey.example.test');
    expect(answers[2]).toMatchObject({
      server: 'resolver:127.0.0.1:1',
      outcome: 'unreachable',
      socketError: 'ECONNREFUSED',
      records: [],
    });
  });

  it('when the name servers cannot be found, says so as a failed authoritative answer (never resolvers alone)', async () => {
    // A discovery resolver that answers REFUSED to everything: no zone can be found through it.
    const refusing = await startTestDnsServer({ role: 'authoritative', zones: ['elsewhere.test'], records });
    try {
      const observer = new NetworkDnsObserver({ ...base, discoveryResolvers: [refusing.address] });
      const answers = await observer.lookupTxt('s1._domainkey.example.test');
      expect(answers.map((a) => [a.server, a.outcome, isAuthoritative(a)])).toEqual([
        ['authoritative:example.test', 'servfail', true],
        [`resolver:${resolver.address}`, 'answer', false],
      ]);
      // A failed discovery is not cached: the next lookup tries again.
      const asked = refusing.queries.log.length;
      expect(asked).toBeGreaterThan(0);
      await observer.lookupTxt('s1._domainkey.example.test');
      expect(refusing.queries.log.length).toBe(2 * asked);
    } finally {
      await refusing.close();
    }
  });

  it('asks configured authoritative servers instead of discovering them', async () => {
    const observer = new NetworkDnsObserver({ ...base, authoritative: [auth.address] });
    const before = nsQueries();
    const answers = await observer.lookupTxt('s1._domainkey.example.test');
    expect(answers.map((a) => [a.server, a.outcome])).toEqual([
      [`authoritative:${auth.address}`, 'answer'],
      [`resolver:${resolver.address}`, 'answer'],
    ]);
    expect(nsQueries()).toBe(before);
  });

  it('refuses an impossible configuration at construction', () => {
    expect(() => new NetworkDnsObserver({ resolvers: ['host:99999'] })).toThrow(/must be HOST or HOST:PORT/);
    expect(() => new NetworkDnsObserver({ resolvers: [], authoritative: 'none' })).toThrow(/no DNS server/);
  });
});

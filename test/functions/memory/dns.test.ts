/**
 * The simulated DNS as it is: several authoritative servers per zone, secondaries that lag (and sometimes
 * serve stale data until their SOA refresh), Route 53 servers that pick a change up before INSYNC, the
 * zone's SOA negative TTL honoured by resolvers, TTLs carried by the answers, failing lookups.
 */
import { MINUTE_MS, HOUR_MS } from '../../../functions/core/time';
import { CachingResolver, MemoryDnsObserver, SimDns, route53Lag, secondaryLag } from '../../../functions/memory/dns';
import { ManualClock } from '../../../functions/memory/services';

const T0 = Date.UTC(2026, 0, 5);
const NAME = 'sel._domainkey.example.jp';
const v1 = { txt: [['v=DKIM1; k=rsa; p=AAAA']], ttl: 300 };
const v2 = { txt: [['v=DKIM1; k=rsa; p=BBBB']], ttl: 300 };
const p = (answer: { records: readonly (readonly string[])[] }) => answer.records[0]?.join('');

describe('authoritative servers', () => {
  it('a lagging secondary answers stale, then current', () => {
    const dns = new SimDns();
    dns.addZone({ apex: 'example.jp', servers: 3, lag: (i) => i * 2 * MINUTE_MS });
    dns.set(NAME, v1, T0);
    dns.set(NAME, v2, T0 + HOUR_MS);
    const at = (t: number) => dns.servers(NAME).map((s) => p(dns.resolve(NAME, t, s).answer));
    expect(dns.servers(NAME)).toEqual(['authoritative:ns1', 'authoritative:ns2', 'authoritative:ns3']);
    expect(at(T0 + HOUR_MS + MINUTE_MS)).toEqual([
      'v=DKIM1; k=rsa; p=BBBB',
      'v=DKIM1; k=rsa; p=AAAA',
      'v=DKIM1; k=rsa; p=AAAA',
    ]);
    expect(at(T0 + HOUR_MS + 3 * MINUTE_MS)).toEqual([
      'v=DKIM1; k=rsa; p=BBBB',
      'v=DKIM1; k=rsa; p=BBBB',
      'v=DKIM1; k=rsa; p=AAAA',
    ]);
    expect(at(T0 + HOUR_MS + 5 * MINUTE_MS)).toEqual(Array(3).fill('v=DKIM1; k=rsa; p=BBBB'));
    // Each server's own change times; without a server, every server's.
    expect(dns.changesBetween(NAME, T0 + HOUR_MS - 1, T0 + 2 * HOUR_MS, 'authoritative:ns3')).toEqual([
      T0 + HOUR_MS + 4 * MINUTE_MS,
    ]);
    expect(dns.changesBetween(NAME, T0 + HOUR_MS - 1, T0 + 2 * HOUR_MS)).toEqual([
      T0 + HOUR_MS,
      T0 + HOUR_MS + 2 * MINUTE_MS,
      T0 + HOUR_MS + 4 * MINUTE_MS,
    ]);
  });

  it('a secondary that misses the NOTIFY serves the old data until its SOA refresh; seeded, reproducible', () => {
    const stale = secondaryLag(42, { staleRate: 1 });
    const fresh = secondaryLag(42, { staleRate: 0 });
    expect(stale(0, NAME, T0)).toBe(0); // the primary
    for (const index of [1, 2, 3]) {
      expect(stale(index, NAME, T0)).toBeGreaterThanOrEqual(20 * MINUTE_MS);
      expect(stale(index, NAME, T0)).toBeLessThanOrEqual(2 * HOUR_MS);
      expect(fresh(index, NAME, T0)).toBeGreaterThanOrEqual(2000);
      expect(fresh(index, NAME, T0)).toBeLessThanOrEqual(5 * MINUTE_MS);
      expect(secondaryLag(42, { staleRate: 1 })(index, NAME, T0)).toBe(stale(index, NAME, T0));
    }
    // The default: about 5% of changes stale on a secondary.
    const lag = secondaryLag(9);
    const slow = Array.from({ length: 2000 }, (_, i) => lag(1, NAME, T0 + i * 1000)).filter((l) => l >= 20 * MINUTE_MS);
    expect(slow.length).toBeGreaterThan(50);
    expect(slow.length).toBeLessThan(160);
  });

  it("Route 53's servers pick a change up at different moments, all by INSYNC", () => {
    const dns = new SimDns();
    dns.addZone({ apex: 'example.jp', servers: 4, lag: route53Lag(5, 45_000) });
    const insync = T0 + 45_000;
    dns.set(NAME, v1, insync);
    const times = dns.servers(NAME).map((s) => dns.changesBetween(NAME, T0 - 1, insync, s)[0]!);
    expect(new Set(times).size).toBeGreaterThan(1);
    for (const t of times) expect(t).toBeGreaterThan(T0);
    for (const s of dns.servers(NAME)) expect(dns.resolve(NAME, insync, s).answer.outcome).toBe('answer');
  });

  it('names outside any zone: one server, no lag (small worlds need no zones)', () => {
    const dns = new SimDns();
    dns.set(NAME, v1, T0);
    expect(dns.servers(NAME)).toEqual(['authoritative:ns1']);
    expect(dns.resolve(NAME, T0).answer.outcome).toBe('answer');
  });
});

describe('TTLs and the SOA negative TTL', () => {
  it('answers carry the TTL and the zone SOA negative TTL; a CNAME chain carries the longest of its zones', () => {
    const dns = new SimDns();
    dns.addZone({ apex: 'example.jp', servers: 3, negativeTtl: 10_800 });
    dns.addZone({ apex: 'dkim.example.net', servers: 4, negativeTtl: 900 });
    expect(dns.resolve(NAME, T0).answer).toMatchObject({ outcome: 'nxdomain', negativeTtl: 10_800 });
    expect(dns.resolve(NAME, T0).ttl).toBe(10_800);
    dns.set('mail1.dkim.example.net', v1, T0);
    dns.set('mail1._domainkey.example.jp', { cname: 'mail1.dkim.example.net', ttl: 3600 }, T0);
    const via = dns.resolve('mail1._domainkey.example.jp', T0).answer;
    expect(via).toMatchObject({ outcome: 'answer', ttl: 300, negativeTtl: 10_800 });
    expect(via.cnameChain).toEqual(['mail1.dkim.example.net']);
    expect(dns.serversFor('mail1._domainkey.example.jp', T0)).toHaveLength(4);
  });

  it.each([
    [3600, 59 * MINUTE_MS, 61 * MINUTE_MS],
    [60, 50_000, 70_000],
  ])('a resolver keeps an NXDOMAIN for the SOA negative TTL (%i s)', (negativeTtl, stillCached, expired) => {
    const dns = new SimDns();
    dns.addZone({ apex: 'example.jp', servers: 1, negativeTtl });
    const resolver = new CachingResolver('resolver:8.8.8.8', dns, 1);
    expect(resolver.query(NAME, T0).outcome).toBe('nxdomain');
    dns.set(NAME, v1, T0 + 10_000);
    expect(resolver.query(NAME, T0 + stillCached).outcome).toBe('nxdomain');
    expect(resolver.peek(NAME, T0 + stillCached).outcome).toBe('nxdomain');
    expect(resolver.query(NAME, T0 + expired).outcome).toBe('answer');
  });

  it('a resolver asks any of the zone servers, stale secondaries included, and caches what it got', () => {
    const dns = new SimDns();
    dns.addZone({ apex: 'example.jp', servers: 4, negativeTtl: 300, lag: (i) => (i === 0 ? 0 : HOUR_MS) });
    const resolver = new CachingResolver('resolver:1.1.1.1', dns, 3);
    const names = Array.from({ length: 40 }, (_, i) => `s${i}._domainkey.example.jp`);
    for (const n of names) dns.set(n, v1, T0);
    const outcomes = names.map((n, i) => resolver.query(n, T0 + 1000 * (i + 1)).outcome);
    expect(outcomes).toContain('answer'); // from the primary
    expect(outcomes).toContain('nxdomain'); // from a secondary that has not caught up
  });
});

describe('the observer', () => {
  it('answers once per authoritative server and once per resolver; failing lookups replace answers', async () => {
    const dns = new SimDns();
    dns.addZone({ apex: 'example.jp', servers: 3 });
    dns.set(NAME, v1, T0);
    const clock = new ManualClock(T0);
    const resolvers = [new CachingResolver('resolver:8.8.8.8', dns), new CachingResolver('resolver:1.1.1.1', dns)];
    const observer = new MemoryDnsObserver(dns, resolvers, clock, (server) =>
      server === 'resolver:8.8.8.8' ? 'servfail' : server === 'authoritative:ns2' ? 'timeout' : undefined,
    );
    const answers = await observer.lookupTxt(NAME);
    expect(answers.map((a) => [a.server, a.outcome])).toEqual([
      ['authoritative:ns1', 'answer'],
      ['authoritative:ns2', 'timeout'],
      ['authoritative:ns3', 'answer'],
      ['resolver:8.8.8.8', 'servfail'],
      ['resolver:1.1.1.1', 'answer'],
    ]);
    expect(answers[0]).toMatchObject({ ttl: 300, negativeTtl: 900 });
  });
});

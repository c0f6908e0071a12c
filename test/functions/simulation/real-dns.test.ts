/**
 * DNS as it is, against the engine: a zone's SOA negative TTL longer than the engine's constant, lagging
 * and stale secondaries, and failing lookups. The checker judges from every authoritative server.
 */
import { HOUR_MS, MINUTE_MS } from '../../../functions/core/time';
import { formatRecordValue, splitIntoStrings } from '../../../functions/dkim/record';
import { activeKey, inFlightKey } from '../../../functions/lifecycle/state';
import { DOMAIN, START, realWorld } from './real-world';

const value = (publicKey: string) => splitIntoStrings(formatRecordValue(publicKey));

describe('the engine in a world whose DNS is as it is', () => {
  it("waits for the zone's SOA negative TTL (3 h), not its own 15-minute constant, before switching SES", async () => {
    // The DNS team's zone caches NXDOMAIN for 3 hours: a receiver that asked before the record existed
    // (byodkim's own lookups go through the same public resolvers) may hold the NXDOMAIN that long.
    const h = realWorld('external', {
      realDns: { seed: 7, externalNegativeTtls: [10_800], staleRate: 0, secondaries: [2], maxLagMs: 3000 },
    });
    await h.run();
    const state = (await h.world.stateStore.load(DOMAIN))!;
    const key = inFlightKey(state)!;
    expect(key.state).toBe('dns-requested');
    // The team publishes 4 hours later (the resolvers' NXDOMAIN from the first run has expired by then);
    // byodkim looks 5 minutes after, when every server has it.
    const published = START + 4 * HOUR_MS;
    h.world.dns.set(`${key.selector}._domainkey.${DOMAIN}`, { txt: [value(key.publicKey!)], ttl: 3600 }, published);
    h.world.clock.set(published + 5 * MINUTE_MS);
    await h.until(published + 12 * HOUR_MS, HOUR_MS);
    const switched = h.world.ses.switches.find((s) => s.selector === key.selector);
    expect(switched).toBeDefined();
    expect(switched!.at - published).toBeGreaterThanOrEqual(3 * HOUR_MS);
    expect(h.checker.unsignedMinutesOf(DOMAIN)).toBe(0);
    expect(h.checker.violations).toEqual([]);
    expect(activeKey((await h.world.stateStore.load(DOMAIN))!)?.selector).toBe(key.selector);
  });

  it('does not verify while one secondary still serves the old data, and verifies once it catches up', async () => {
    // Every change misses one secondary's NOTIFY: it serves the old data until its SOA refresh (20 min – 2 h).
    const h = realWorld('external', {
      realDns: { seed: 3, staleRate: 1, secondaries: [3], externalNegativeTtls: [300] },
    });
    await h.run();
    const key = inFlightKey((await h.world.stateStore.load(DOMAIN))!)!;
    const name = `${key.selector}._domainkey.${DOMAIN}`;
    const published = START + 7 * HOUR_MS;
    h.world.clock.set(published);
    h.world.dns.set(name, { txt: [value(key.publicKey!)], ttl: 3600 }, published);
    const servers = h.world.dns.servers(name);
    expect(servers).toEqual(['authoritative:ns1', 'authoritative:ns2', 'authoritative:ns3', 'authoritative:ns4']);
    const caughtUp = Math.max(...servers.map((s) => h.world.dns.changesBetween(name, published - 1, Infinity, s)[0]!));
    expect(caughtUp - published).toBeGreaterThanOrEqual(20 * MINUTE_MS);
    // The observer answers once per authoritative server (and per resolver).
    const answers = await h.world.observer.lookupTxt(name);
    expect(answers.filter((a) => a.server?.startsWith('authoritative')).map((a) => a.server)).toEqual(servers);
    await h.until(caughtUp - MINUTE_MS, 10 * MINUTE_MS);
    expect(inFlightKey((await h.world.stateStore.load(DOMAIN))!)?.state).toBe('dns-requested');
    await h.until(published + 12 * HOUR_MS, 10 * MINUTE_MS);
    const verifiedAt = inFlightKey((await h.world.stateStore.load(DOMAIN))!)?.dnsVerifiedAt;
    const switched = h.world.ses.switches.find((s) => s.selector === key.selector);
    expect(verifiedAt ?? switched?.at).toBeGreaterThanOrEqual(caughtUp);
    expect(switched).toBeDefined();
    expect(h.checker.violations).toEqual([]);
    expect(h.checker.unsignedMinutesOf(DOMAIN)).toBe(0);
  });
});

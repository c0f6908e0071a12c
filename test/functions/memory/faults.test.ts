/**
 * Faults by kind: throttling at the services' real rates (a token bucket over simulated time, shared by
 * every domain of the account) and AccessDenied on a chosen action and domain.
 */
import { ServiceError, TransientError } from '../../../functions/core/errors';
import { ROUTE53_RATE, TokenBucket } from '../../../functions/memory/faults';
import { World } from '../../../functions/simulation/world';
import { pairs, spec } from '../simulation/real-world';

const T0 = Date.UTC(2026, 0, 5);

describe('the token bucket', () => {
  it('Route 53: a burst of 50, then 10 requests per second', () => {
    const bucket = new TokenBucket(ROUTE53_RATE);
    expect(ROUTE53_RATE).toEqual({ perSecond: 10, burst: 50 });
    const at = (t: number, n: number) => Array.from({ length: n }, () => bucket.take(t)).filter(Boolean).length;
    expect(at(T0, 60)).toBe(50);
    expect(at(T0 + 100, 5)).toBe(1);
    expect(at(T0 + 1100, 20)).toBe(10);
    // Sustained 20 requests per second for 10 s, right after the bucket ran dry: 10 per second get through.
    let passed = 0;
    for (let ms = 50; ms <= 10_000; ms += 50) passed += at(T0 + 1100 + ms, 1);
    expect(passed).toBeGreaterThanOrEqual(99);
    expect(passed).toBeLessThanOrEqual(101);
    // Idle for a minute: the burst is back, no more.
    expect(at(T0 + 80_000, 60)).toBe(50);
  });
});

function worldOf(options: ConstructorParameters<typeof World>[0] extends infer O ? Partial<O> : never) {
  const world = new World({ start: T0, keys: pairs(2), ...options });
  const domains = ['a.example.jp', 'b.example.jp', 'c.example.jp'];
  domains.forEach((domain, i) =>
    world.addDomain(
      { ...spec('route53'), domain, dns: { kind: 'route53', hostedZoneId: `Z${i}` } },
      { kind: 'easy-dkim' },
    ),
  );
  return { world, domains };
}

describe('rate limits in the world', () => {
  it('Route 53 throttles the account, all domains together, at 10/s burst 50 (TransientError)', async () => {
    const { world, domains } = worldOf({});
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        world.ports.dnsWriter.upsertTxt(`Z${i % 3}`, `s${i}._domainkey.${domains[i % 3]}`, ['v=DKIM1; p='], 300),
      ),
    );
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(results.length - rejected.length).toBe(50);
    const error = (rejected[0] as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'THROTTLED', service: 'route53' });
    expect(String(error.message)).toMatch(/Throttling: Rate exceeded/);
    expect(world.limits.throttled()).toMatchObject({ route53: 10 });
    world.clock.advance(1000);
    await expect(
      world.ports.dnsWriter.upsertTxt('Z0', `x._domainkey.${domains[0]}`, ['v=DKIM1; p='], 300),
    ).resolves.toBeDefined();
    // The clean ports (checkers, replays) are never throttled.
    for (let i = 0; i < 100; i += 1) await world.cleanPorts.dnsWriter.getChange('/change/C0000000001');
  });

  it('SES throttles beyond its configured rate with TooManyRequestsException (TransientError)', async () => {
    const { world, domains } = worldOf({ sesRate: { perSecond: 1, burst: 3 } });
    const calls = () => Promise.allSettled(domains.concat(domains).map((d) => world.ports.ses.getDkim(d)));
    const first = await calls();
    expect(first.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const error = (first.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(TransientError);
    expect(String(error.message)).toMatch(/TooManyRequestsException/);
    world.clock.advance(2000);
    expect((await calls()).filter((r) => r.status === 'fulfilled')).toHaveLength(2);
  });
});

describe('AccessDenied', () => {
  it('refuses the chosen action for the chosen domain only, naming the action and the resource', async () => {
    const { world, domains } = worldOf({
      accessDenied: [{ domain: 'b.example.jp', action: 'PutEmailIdentityDkimSigningAttributes' }],
    });
    const [pair] = pairs(1);
    const denied = world.ports.ses.putExternalSigningKey(domains[1]!, 'sel1', pair!.privateKey);
    await expect(denied).rejects.toThrow(ServiceError);
    await expect(denied).rejects.toMatchObject({ code: 'ACCESS_DENIED', service: 'ses' });
    await expect(denied).rejects.toThrow(
      /not authorized to perform: ses:PutEmailIdentityDkimSigningAttributes on resource: arn:aws:ses:[a-z0-9-]+:\d+:identity\/b\.example\.jp/,
    );
    // No key material in the error.
    await denied.catch((e: Error) => expect(e.message).not.toContain(pair!.privateKey.slice(500, 540)));
    await expect(world.ports.ses.putExternalSigningKey(domains[0]!, 'sel1', pair!.privateKey)).resolves.toBeUndefined();
    await expect(world.ports.ses.setSigningEnabled(domains[1]!, true)).resolves.toBeUndefined();
    expect([...world.limits.denied]).toEqual([['b.example.jp ses:PutEmailIdentityDkimSigningAttributes', 1]]);
  });

  it('Route 53 writes are denied by record owner (the domain whose selector it is), from a given time', async () => {
    const { world, domains } = worldOf({
      accessDenied: [{ domain: 'c.example.jp', action: 'route53:ChangeResourceRecordSets', from: T0 + 1000 }],
    });
    await expect(
      world.ports.dnsWriter.upsertTxt('Z2', `s._domainkey.${domains[2]}`, ['v=DKIM1; p='], 300),
    ).resolves.toBeDefined();
    world.clock.advance(1000);
    await expect(
      world.ports.dnsWriter.upsertTxt('Z2', `s._domainkey.${domains[2]}`, ['v=DKIM1; p='], 300),
    ).rejects.toThrow(/route53:ChangeResourceRecordSets on resource: arn:aws:route53:::hostedzone\/Z2/);
    await expect(
      world.ports.dnsWriter.upsertTxt('Z0', `s._domainkey.${domains[0]}`, ['v=DKIM1; p='], 300),
    ).resolves.toBeDefined();
  });
});

/**
 * A real DNS server on 127.0.0.1 for tests, built on the `dns2` npm package's UDP and TCP servers (an
 * implementation independent of byodkim's own codec). It serves a small zone model: TXT records made of
 * several character-strings, CNAME, NS, A, NXDOMAIN and NODATA (with the zone's SOA in the authority
 * section, as real servers do), in either of two roles:
 *
 * - `authoritative`: AA set, answers only for its zones (REFUSED otherwise), follows a CNAME only inside
 *   its zones — a CNAME into another zone is returned alone, as BIND or Route 53 do;
 * - `recursive`: RA set, follows CNAMEs anywhere in the model, like a public resolver.
 *
 * Failure switches: names that SERVFAIL, names that get no answer at all (timeouts), and `truncateUdp`,
 * which answers TXT queries over UDP with TC set and no records, so clients must retry over TCP.
 */
import { createSocket } from 'node:dgram';
import { promisify } from 'node:util';
import * as dns2 from 'dns2';

export interface ZoneNode {
  TXT?: string[][];
  CNAME?: string;
  NS?: string[];
  A?: string[];
}

export interface TestDnsServerOptions {
  readonly role: 'authoritative' | 'recursive';
  /** The zones an authoritative server serves. */
  readonly zones?: readonly string[];
  /** The records, by lower-case name without trailing dot. Shared and mutable: tests edit it between queries. */
  readonly records: Record<string, ZoneNode>;
  readonly servfail?: Set<string>;
  readonly noAnswer?: Set<string>;
  readonly truncateUdp?: boolean;
  /** Listen address (default 127.0.0.1; any 127.x.y.z works on Linux) and port (default: a free one). */
  readonly host?: string;
  readonly port?: number;
}

export interface TestDnsServer {
  readonly port: number;
  /** `<host>:<port>` */
  readonly address: string;
  /** How many queries each transport received. */
  readonly queries: { udp: number; tcp: number; log: string[] };
  close(): Promise<void>;
}

type Packet = ReturnType<typeof dns2.Packet.createResponseFromRequest>;
const TYPE = dns2.Packet.TYPE;
const IN = dns2.Packet.CLASS.IN;

function within(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

function answer(options: TestDnsServerOptions, request: unknown, transport: 'udp' | 'tcp'): Packet | undefined {
  const response = dns2.Packet.createResponseFromRequest(request);
  const question = response.questions[0]!;
  const qname = question.name.replace(/\.$/, '').toLowerCase();
  if (options.noAnswer?.has(qname)) return undefined;
  const zones = options.zones ?? [];
  const zoneOf = (name: string) =>
    [...zones].sort((a, b) => b.length - a.length).find((zone) => within(name, zone)) ??
    (options.role === 'recursive' ? name.split('.').slice(-2).join('.') : undefined);
  if (options.role === 'authoritative') response.header.aa = 1;
  else response.header.ra = 1;
  if (options.servfail?.has(qname)) {
    response.header.rcode = 2;
    return response;
  }
  if (options.role === 'authoritative' && !zoneOf(qname)) {
    response.header.rcode = 5;
    return response;
  }
  if (transport === 'udp' && options.truncateUdp && question.type === TYPE.TXT) {
    response.header.tc = 1;
    return response;
  }
  const soa = (name: string) => ({
    name: zoneOf(name) ?? name,
    type: TYPE.SOA,
    class: IN,
    ttl: 300,
    primary: `ns1.${zoneOf(name) ?? name}`,
    admin: `hostmaster.${zoneOf(name) ?? name}`,
    serial: 1,
    refresh: 3600,
    retry: 600,
    expiration: 86400,
    minimum: 300,
  });
  let name = qname;
  for (let depth = 0; depth < 10; depth += 1) {
    const node = options.records[name];
    if (node?.CNAME && question.type !== TYPE.CNAME) {
      response.answers.push({ name, type: TYPE.CNAME, class: IN, ttl: 300, domain: node.CNAME });
      const target = node.CNAME.toLowerCase();
      if (options.role === 'authoritative' && !zoneOf(target)) return response; // out of zone: CNAME alone
      name = target;
      continue;
    }
    const typeName = Object.keys(TYPE).find((k) => TYPE[k] === question.type) as keyof ZoneNode | undefined;
    const data = typeName ? node?.[typeName] : undefined;
    if (data && (data as unknown[]).length > 0) {
      for (const item of data as unknown[]) {
        if (typeName === 'TXT') response.answers.push({ name, type: TYPE.TXT, class: IN, ttl: 300, data: item });
        if (typeName === 'NS') response.answers.push({ name, type: TYPE.NS, class: IN, ttl: 300, ns: item });
        if (typeName === 'A') response.answers.push({ name, type: TYPE.A, class: IN, ttl: 300, address: item });
      }
      return response;
    }
    const exists = node !== undefined || Object.keys(options.records).some((n) => n.endsWith(`.${name}`));
    if (!exists) response.header.rcode = 3;
    response.authorities.push(soa(name));
    return response;
  }
  return response; // a CNAME loop: the chain so far, NOERROR (as BIND answers)
}

/** Starts a server on 127.0.0.1, UDP and TCP on the same ephemeral port. */
export async function startTestDnsServer(options: TestDnsServerOptions): Promise<TestDnsServer> {
  const queries = { udp: 0, tcp: 0, log: [] as string[] };
  const handler =
    (transport: 'udp' | 'tcp') =>
    (request: unknown, send: (response: unknown) => void): void => {
      queries[transport] += 1;
      const q = (request as Packet).questions[0];
      queries.log.push(`${transport} ${q?.name} ${q?.type}`);
      const response = answer(options, request, transport);
      if (response) send(response);
    };
  const host = options.host ?? '127.0.0.1';
  // Find a port free for both UDP and TCP.
  for (let attempt = 0; attempt < 20; attempt += 1) {
    let port = options.port ?? 0;
    if (!port) {
      const probe = createSocket('udp4');
      await promisify(probe.bind.bind(probe) as (port: number, address: string, cb: () => void) => void)(0, host);
      port = probe.address().port;
      probe.close();
    }
    const udp = dns2.createUDPServer(handler('udp'));
    const tcp = dns2.createTCPServer(handler('tcp'));
    tcp.on('error', () => undefined);
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        void udp.listen(port, host).then(resolve);
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, host, () => resolve());
      });
    } catch (error) {
      try {
        udp.close();
      } catch {
        // never bound
      }
      if (options.port) throw error;
      continue;
    }
    return {
      port,
      address: `${host}:${port}`,
      queries,
      close: async () => {
        await new Promise<void>((resolve) => udp.close(() => resolve()));
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
      },
    };
  }
  throw new Error('could not find a free port for the test DNS server');
}

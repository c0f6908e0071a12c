/**
 * A minimal DNS message codec (RFC 1035) for the verifier: queries out, responses in. It keeps what the
 * DKIM checks need and general-purpose clients lose: every TXT record's character-strings separately,
 * the CNAME records of the answer, the response code, and the AA/TC/RA flags.
 */

export const RR_TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28 } as const;
export type RrTypeName = keyof typeof RR_TYPE;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface ResourceRecord {
  /** Owner name, lower-case, without a trailing dot. */
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  /** TXT: the character-strings; CNAME/NS: the target name; A/AAAA: the address; others: undefined. */
  readonly strings?: readonly string[];
  readonly target?: string;
  readonly address?: string;
}

export interface DnsResponse {
  readonly id: number;
  readonly rcode: number;
  /** Authoritative answer. */
  readonly aa: boolean;
  /** Truncated: the full answer needs TCP. */
  readonly tc: boolean;
  /** Recursion available. */
  readonly ra: boolean;
  readonly question?: { readonly name: string; readonly type: number };
  readonly answers: readonly ResourceRecord[];
  readonly authorities: readonly ResourceRecord[];
  readonly additionals: readonly ResourceRecord[];
}

/** A DNS message that could not be decoded. */
export class DnsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DnsFormatError';
  }
}

/** Lower-case, no trailing dot: how names are compared (DNS names are case-insensitive). */
export function normaliseName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

function encodeName(name: string): Buffer {
  const labels = normaliseName(name).split('.').filter(Boolean);
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length === 0 || bytes.length > 63) throw new RangeError(`DNS label "${label}" must be 1–63 octets`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const encoded = Buffer.concat(parts);
  if (encoded.length > 255) throw new RangeError(`DNS name ${name} is longer than 255 octets`);
  return encoded;
}

/** A standard query for one name and type. `recursionDesired` is off for authoritative servers. */
export function encodeQuery(id: number, name: string, type: number, recursionDesired: boolean): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(recursionDesired ? 0x0100 : 0, 2);
  header.writeUInt16BE(1, 4);
  const question = Buffer.alloc(4);
  question.writeUInt16BE(type, 0);
  question.writeUInt16BE(1, 2);
  return Buffer.concat([header, encodeName(name), question]);
}

class Reader {
  constructor(
    private readonly buf: Buffer,
    public offset = 0,
  ) {}

  need(n: number): void {
    if (this.offset + n > this.buf.length) throw new DnsFormatError('message ends early');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.offset++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
  /** A possibly compressed name; pointers may only point backwards, which also rules out loops. */
  name(): string {
    const labels: string[] = [];
    let at = this.offset;
    let jumped = false;
    let total = 0;
    for (;;) {
      if (at >= this.buf.length) throw new DnsFormatError('name runs past the message');
      const len = this.buf[at]!;
      if ((len & 0xc0) === 0xc0) {
        if (at + 1 >= this.buf.length) throw new DnsFormatError('name pointer runs past the message');
        const pointer = ((len & 0x3f) << 8) | this.buf[at + 1]!;
        if (pointer >= at) throw new DnsFormatError('name pointer does not point backwards');
        if (!jumped) this.offset = at + 2;
        jumped = true;
        at = pointer;
        continue;
      }
      if (len & 0xc0) throw new DnsFormatError('unknown label type');
      if (len === 0) {
        if (!jumped) this.offset = at + 1;
        break;
      }
      if (at + 1 + len > this.buf.length) throw new DnsFormatError('label runs past the message');
      labels.push(this.buf.toString('latin1', at + 1, at + 1 + len));
      total += len + 1;
      if (total > 255) throw new DnsFormatError('name longer than 255 octets');
      at += 1 + len;
    }
    return labels.join('.').toLowerCase();
  }
}

function decodeRecord(reader: Reader): ResourceRecord {
  const name = reader.name();
  const type = reader.u16();
  const klass = reader.u16();
  const ttl = reader.u32();
  const length = reader.u16();
  const end = reader.offset + length;
  reader.need(length);
  const base = { name, type, class: klass, ttl };
  let record: ResourceRecord = base;
  if (type === RR_TYPE.TXT) {
    const strings: string[] = [];
    while (reader.offset < end) {
      const size = reader.u8();
      if (reader.offset + size > end) throw new DnsFormatError('TXT character-string runs past its record');
      strings.push(reader.bytes(size).toString('utf8'));
    }
    record = { ...base, strings };
  } else if (type === RR_TYPE.CNAME || type === RR_TYPE.NS) {
    record = { ...base, target: reader.name() };
  } else if (type === RR_TYPE.A && length === 4) {
    record = { ...base, address: [...reader.bytes(4)].join('.') };
  } else if (type === RR_TYPE.AAAA && length === 16) {
    const b = reader.bytes(16);
    const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16));
    record = { ...base, address: groups.join(':') };
  }
  reader.offset = end;
  return record;
}

/** Decodes a response; throws DnsFormatError when it is not a well-formed DNS response. */
export function decodeResponse(message: Buffer): DnsResponse {
  const reader = new Reader(message);
  const id = reader.u16();
  const flags = reader.u16();
  if (!(flags & 0x8000)) throw new DnsFormatError('not a response (QR is 0)');
  const counts = [reader.u16(), reader.u16(), reader.u16(), reader.u16()] as const;
  let question: DnsResponse['question'];
  for (let i = 0; i < counts[0]; i += 1) {
    const name = reader.name();
    const type = reader.u16();
    reader.u16();
    if (i === 0) question = { name, type };
  }
  const tc = Boolean(flags & 0x0200);
  const sections: ResourceRecord[][] = [[], [], []];
  try {
    for (let s = 0; s < 3; s += 1) {
      for (let i = 0; i < counts[s + 1]!; i += 1) sections[s]!.push(decodeRecord(reader));
    }
  } catch (error) {
    // A truncated UDP response may end mid-record: what matters then is TC, and the caller retries on TCP.
    if (!tc) throw error;
  }
  return {
    id,
    rcode: flags & 0x000f,
    aa: Boolean(flags & 0x0400),
    tc,
    ra: Boolean(flags & 0x0080),
    ...(question ? { question } : {}),
    answers: sections[0]!,
    authorities: sections[1]!,
    additionals: sections[2]!,
  };
}

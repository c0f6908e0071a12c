import { decodeResponse, DnsFormatError, encodeQuery, RR_TYPE } from '../../../functions/adapters/dns-message';
import { formatServerAddress, parseServerAddress } from '../../../functions/adapters/dns-transport';
import { ValidationError } from '../../../functions/core/errors';

/** A response to `encodeQuery(id, name, TXT)` with the given answer records appended (raw RDATA). */
function response(id: number, name: string, answers: Buffer[], flags = 0x8400): Buffer {
  const query = encodeQuery(id, name, RR_TYPE.TXT, false);
  query.writeUInt16BE(flags, 2);
  query.writeUInt16BE(answers.length, 6);
  return Buffer.concat([query, ...answers]);
}

/** A TXT answer owned by the question name (compression pointer to offset 12). */
function txt(strings: string[]): Buffer {
  const rdata = Buffer.concat(strings.map((s) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)])));
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0);
  head.writeUInt16BE(RR_TYPE.TXT, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt32BE(300, 6);
  head.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, rdata]);
}

describe('the DNS message codec', () => {
  it('encodes a query: id, RD flag, one question, labels', () => {
    const q = encodeQuery(0x1234, 'S1._domainkey.Example.COM.', RR_TYPE.TXT, true);
    expect(q.readUInt16BE(0)).toBe(0x1234);
    expect(q.readUInt16BE(2)).toBe(0x0100);
    expect(q.readUInt16BE(4)).toBe(1);
    expect(q.subarray(12).toString('latin1')).toBe('\x02s1\x0a_domainkey\x07example\x03com\x00\x00\x10\x00\x01');
    expect(encodeQuery(1, 'a.b', 1, false).readUInt16BE(2)).toBe(0);
  });

  it('keeps every character-string of a TXT record apart, following name compression', () => {
    const decoded = decodeResponse(
      response(7, 'sel._domainkey.example.com', [txt(['a'.repeat(255), 'b'.repeat(155)])]),
    );
    expect(decoded).toMatchObject({ id: 7, rcode: 0, aa: true, tc: false });
    expect(decoded.question).toEqual({ name: 'sel._domainkey.example.com', type: RR_TYPE.TXT });
    expect(decoded.answers).toHaveLength(1);
    expect(decoded.answers[0]).toMatchObject({
      name: 'sel._domainkey.example.com',
      strings: ['a'.repeat(255), 'b'.repeat(155)],
    });
  });

  it.each([
    ['a query, not a response', response(1, 'a.example', [], 0x0100)],
    ['a message cut short', response(1, 'a.example', [txt(['abc'])]).subarray(0, 40)],
    [
      'a compression pointer that points forward (a loop)',
      (() => {
        const m = response(1, 'a.example', [txt(['x'])]);
        m.writeUInt16BE(0xc000 | (m.length - 2), m.length - 14);
        return m;
      })(),
    ],
    [
      'a character-string longer than its record',
      (() => {
        const m = response(1, 'a.example', [txt(['abc'])]);
        m[m.length - 4] = 200;
        return m;
      })(),
    ],
  ])('refuses %s', (_label, message) => {
    expect(() => decodeResponse(message)).toThrow(DnsFormatError);
  });
});

describe('DNS server addresses', () => {
  it.each([
    ['8.8.8.8', { host: '8.8.8.8', port: 53 }, '8.8.8.8:53'],
    ['127.0.0.1:5300', { host: '127.0.0.1', port: 5300 }, '127.0.0.1:5300'],
    ['2001:db8::53', { host: '2001:db8::53', port: 53 }, '[2001:db8::53]:53'],
    ['[2001:db8::53]:5300', { host: '2001:db8::53', port: 5300 }, '[2001:db8::53]:5300'],
    ['ns1.example.com', { host: 'ns1.example.com', port: 53 }, 'ns1.example.com:53'],
  ])('reads %s', (text, address, shown) => {
    expect(parseServerAddress(text)).toEqual(address);
    expect(formatServerAddress(address)).toBe(shown);
  });

  it.each(['', '127.0.0.1:0', '127.0.0.1:65536', 'host:port', 'a b:53'])('refuses %j', (text) => {
    expect(() => parseServerAddress(text)).toThrow(ValidationError);
  });
});

/**
 * The canary's verdict on received messages: real DKIM signatures made by mailauth with our own keys, key
 * records served by a real DNS server on loopback, verified by mailauth through the handler's resolver
 * lookup (the DNS verifier's codec, asking the resolvers of BYODKIM_RESOLVERS). One case per failure the
 * canary names: a wrong selector, a tampered body, no signature, a signature by another key, no key record,
 * a DNS failure — and the pass, with the extra headers and the amazonses.com signature a received copy has.
 */
import { dkimSign } from 'mailauth/lib/dkim/sign';
import { formatRecordValue, splitIntoStrings } from '../../../functions/dkim/record';
import { resolverLookup } from '../../../functions/handlers/canary';
import {
  CANARY_FAILURES,
  CANARY_TOKEN_HEADER,
  canaryMessage,
  canaryTokenOf,
  isCanaryToken,
  judgeSignatures,
  newCanaryToken,
  notArrivedVerdict,
  verifyCanaryMessage,
  type TxtLookup,
} from '../../../functions/monitoring/canary';
import { startTestDnsServer, type TestDnsServer, type ZoneNode } from '../../support/dns-test-server';
import { testKey } from '../dkim/fixtures';

const DOMAIN = 'example.test';
const ACTIVE = 'byodkim-prod-20261201-1';
const OLD = 'byodkim-prod-20260601-1';
const TOKEN = newCanaryToken(Date.UTC(2026, 11, 2, 0, 15), () => Buffer.alloc(16, 0xab));

const active = testKey(1024, 'canary-active');
const old = testKey(1024, 'canary-old');
const stranger = testKey(1024, 'canary-stranger');
const pem = (key: typeof active) => key.privateKeyPem;

const records: Record<string, ZoneNode> = {};
const servfail = new Set<string>();
let server: TestDnsServer;
let lookup: TxtLookup;

/** What SES sends for the canary: the handler's message, as MIME. */
function outgoing(token = TOKEN, body?: string): string {
  const message = canaryMessage({
    domain: DOMAIN,
    localPart: 'canary',
    recipient: 'canary@receive.example.net',
    token,
    environment: 'prod',
  });
  return [
    `From: ${message.from}`,
    `To: ${message.to}`,
    `Subject: ${message.subject}`,
    'Date: Wed, 02 Dec 2026 00:15:00 +0000',
    `Message-ID: <${token}@email.amazonses.com>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
    ...message.headers.map((h) => `${h.name}: ${h.value}`),
    '',
    body ?? message.text,
  ].join('\r\n');
}

async function sign(message: string, signingDomain: string, selector: string, privateKey: string): Promise<string> {
  // mailauth 4.12 reads the keys from `signatureData` (its .d.ts shows the older flat options).
  const signed = await dkimSign(message, {
    algorithm: 'rsa-sha256',
    canonicalization: 'relaxed/relaxed',
    signatureData: [{ signingDomain, selector, privateKey }],
  } as never);
  expect(signed.errors).toEqual([]);
  return signed.signatures + message;
}

/** What the receipt rule stores: the signed message with the headers SES's inbound side puts on top. */
function received(signed: string): string {
  return [
    'Return-Path: <0100019ad7@amazonses.com>',
    'Received: from a8-31.smtp-out.amazonses.com (a8-31.smtp-out.amazonses.com [54.240.8.31]) by inbound-smtp.us-east-1.amazonaws.com with SMTP id abc for canary@receive.example.net; Wed, 02 Dec 2026 00:15:01 +0000 (UTC)',
    'X-SES-Spam-Verdict: PASS',
    'X-SES-Virus-Verdict: PASS',
    signed,
  ].join('\r\n');
}

/** As SES signs: the domain's BYODKIM signature and SES's own amazonses.com one (its key is not in our DNS). */
async function sesSigned(message: string, selector = ACTIVE, key = active): Promise<string> {
  const byDomain = await sign(message, DOMAIN, selector, pem(key));
  return sign(byDomain, 'amazonses.com', 'ug7nbtf4gccmlpwj322ax3p6ow6yfsug', pem(stranger));
}

const expected = { domain: DOMAIN, selector: ACTIVE };

beforeAll(async () => {
  records[`${ACTIVE}._domainkey.${DOMAIN}`] = { TXT: [splitIntoStrings(formatRecordValue(active.publicKey))] };
  records[`${OLD}._domainkey.${DOMAIN}`] = { TXT: [splitIntoStrings(formatRecordValue(old.publicKey))] };
  server = await startTestDnsServer({ role: 'recursive', records, servfail });
  lookup = resolverLookup([server.address], { timeoutMs: 2000, retries: 1 });
});

afterAll(async () => {
  await server?.close();
});

afterEach(() => servfail.clear());

describe('verifyCanaryMessage, with mailauth and the loopback resolver', () => {
  it('passes a received copy signed by the domain with the recorded active selector', async () => {
    const verdict = await verifyCanaryMessage(received(await sesSigned(outgoing())), expected, { lookup });
    expect(verdict.outcome).toBe('pass');
    expect(verdict.signatures).toEqual(
      expect.arrayContaining([
        { domain: DOMAIN, selector: ACTIVE, result: 'pass' },
        expect.objectContaining({ domain: 'amazonses.com', result: expect.not.stringMatching(/^pass$/) }),
      ]),
    );
    expect(verdict.message.en).toContain(ACTIVE);
    expect(verdict.message.ja).toContain('検証できました');
    expect(server.queries.log.some((q) => q.includes(`${ACTIVE}._domainkey.${DOMAIN}`))).toBe(true);
  });

  it('names a wrong selector: SES signs with the old key, which still verifies', async () => {
    const verdict = await verifyCanaryMessage(received(await sesSigned(outgoing(), OLD, old)), expected, { lookup });
    expect(verdict.outcome).toBe('wrong-selector');
    expect(verdict.signatures).toContainEqual({ domain: DOMAIN, selector: OLD, result: 'pass' });
    expect(verdict.message.en).toContain(`selector ${OLD}, not the recorded active selector ${ACTIVE}`);
    expect(verdict.message.ja).toContain(OLD);
  });

  it('names a bad signature when the body was changed after signing', async () => {
    const signed = await sesSigned(outgoing());
    const tampered = signed.replace('nobody needs to read it', 'somebody changed this');
    expect(tampered).not.toBe(signed);
    const verdict = await verifyCanaryMessage(received(tampered), expected, { lookup });
    expect(verdict.outcome).toBe('bad-signature');
    expect(verdict.signatures).toContainEqual(
      expect.objectContaining({ domain: DOMAIN, selector: ACTIVE, comment: 'body hash did not verify' }),
    );
  });

  it('names a missing signature when only amazonses.com signed (SES not signing for the domain)', async () => {
    const signed = await sign(outgoing(), 'amazonses.com', 'ug7nbtf4gccmlpwj322ax3p6ow6yfsug', pem(stranger));
    const verdict = await verifyCanaryMessage(received(signed), expected, { lookup });
    expect(verdict.outcome).toBe('no-signature');
    expect(verdict.message.en).toContain('no DKIM-Signature by example.test (signatures: d=amazonses.com');
  });

  it('names a missing signature when the message is not signed at all', async () => {
    const verdict = await verifyCanaryMessage(received(outgoing()), expected, { lookup });
    expect(verdict.outcome).toBe('no-signature');
    expect(verdict.signatures).toEqual([]);
  });

  it('names a bad signature when another key signed under the active selector', async () => {
    const verdict = await verifyCanaryMessage(received(await sesSigned(outgoing(), ACTIVE, stranger)), expected, {
      lookup,
    });
    expect(verdict.outcome).toBe('bad-signature');
    expect(verdict.signatures).toContainEqual({
      domain: DOMAIN,
      selector: ACTIVE,
      result: 'fail',
      comment: 'bad signature',
    });
  });

  it('names a bad signature when the active selector has no key record (recipients see no key)', async () => {
    const name = `${ACTIVE}._domainkey.${DOMAIN}`;
    const saved = records[name];
    delete records[name];
    try {
      const verdict = await verifyCanaryMessage(received(await sesSigned(outgoing())), expected, { lookup });
      expect(verdict.outcome).toBe('bad-signature');
      expect(verdict.signatures).toContainEqual(expect.objectContaining({ selector: ACTIVE, comment: 'no key' }));
    } finally {
      records[name] = saved!;
    }
  });

  it('names a DNS failure when the resolver cannot answer for the key record', async () => {
    servfail.add(`${ACTIVE}._domainkey.${DOMAIN}`);
    const verdict = await verifyCanaryMessage(received(await sesSigned(outgoing())), expected, { lookup });
    expect(verdict.outcome).toBe('dns-error');
    expect(verdict.signatures).toContainEqual(expect.objectContaining({ selector: ACTIVE, result: 'temperror' }));
    expect(verdict.message.en).toContain('could not be fetched');
  });
});

describe('judgeSignatures', () => {
  it('passes when one of several signatures by the active selector passes', () => {
    const verdict = judgeSignatures(
      [
        { domain: DOMAIN, selector: ACTIVE, result: 'neutral', comment: 'body hash did not verify' },
        { domain: DOMAIN, selector: ACTIVE, result: 'pass' },
      ],
      expected,
    );
    expect(verdict.outcome).toBe('pass');
  });

  it('prefers the active selector failing over another selector passing', () => {
    const verdict = judgeSignatures(
      [
        { domain: DOMAIN, selector: OLD, result: 'pass' },
        { domain: DOMAIN, selector: ACTIVE, result: 'fail', comment: 'bad signature' },
      ],
      expected,
    );
    expect(verdict.outcome).toBe('bad-signature');
  });

  it('compares the signing domain and the selector without regard to case', () => {
    expect(
      judgeSignatures([{ domain: DOMAIN, selector: ACTIVE.toUpperCase(), result: 'pass' }], expected).outcome,
    ).toBe('pass');
    expect(
      judgeSignatures([{ domain: DOMAIN, selector: ACTIVE, result: 'pass' }], { ...expected, domain: 'EXAMPLE.test' })
        .outcome,
    ).toBe('pass');
  });

  it('does not accept a signature by a parent or sibling domain', () => {
    const verdict = judgeSignatures([{ domain: 'test', selector: ACTIVE, result: 'pass' }], expected);
    expect(verdict.outcome).toBe('no-signature');
  });

  it('counts every outcome but pass as a failure, the lost message too', () => {
    expect(CANARY_FAILURES).not.toContain('pass');
    expect(notArrivedVerdict(expected, 300)).toMatchObject({ outcome: 'not-arrived', expectedSelector: ACTIVE });
    expect(notArrivedVerdict(expected, 300).message.ja).toContain('300 秒以内');
  });
});

describe('tokens and the canary message', () => {
  it('makes a token of the time and 128 random bits', () => {
    expect(TOKEN).toBe(`20261202T001500Z-${'ab'.repeat(16)}`);
    expect(isCanaryToken(TOKEN)).toBe(true);
    expect(newCanaryToken(Date.now())).not.toBe(newCanaryToken(Date.now()));
    expect(isCanaryToken('20261202T001500Z-short')).toBe(false);
  });

  it('finds the token in the header of a received copy, folded or not, and never in the body', () => {
    expect(canaryTokenOf(received(outgoing()))).toBe(TOKEN);
    expect(canaryTokenOf(`Subject: x\r\n${CANARY_TOKEN_HEADER}:\r\n ${TOKEN}\r\n\r\nbody`)).toBe(TOKEN);
    expect(canaryTokenOf(`Subject: x\r\n\r\n${CANARY_TOKEN_HEADER}: ${TOKEN}\r\n`)).toBeUndefined();
    expect(canaryTokenOf(`${CANARY_TOKEN_HEADER}: not-a-token\r\n\r\n`)).toBeUndefined();
  });

  it('sends from <localPart>@<domain> with the token in the subject, the header and the text', () => {
    const message = canaryMessage({
      domain: DOMAIN,
      localPart: 'dkim-check',
      recipient: 'c@r.example.net',
      token: TOKEN,
      environment: 'stg',
    });
    expect(message.from).toBe('dkim-check@example.test');
    expect(message.subject).toBe(`byodkim DKIM canary example.test ${TOKEN}`);
    expect(message.headers).toEqual([{ name: CANARY_TOKEN_HEADER, value: TOKEN }]);
    expect(message.text).toContain(`token: ${TOKEN}`);
    expect(message.text).toContain('読む必要はありません');
  });
});

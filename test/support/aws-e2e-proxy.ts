/**
 * The end-to-end tests' AWS: a pass-through HTTP proxy in front of moto_server that adds what moto 5.2
 * lacks, as a strict fake, and records what the e2e checks need. The runtime's clients reach it through
 * `AWS_ENDPOINT_URL`, exactly as they would reach AWS; the adapters are the real ones.
 *
 * - **SES v2 BYODKIM.** moto does not implement `PutEmailIdentityDkimSigningAttributes` and
 *   `PutEmailIdentityDkimAttributes`, and its Easy DKIM identities never sign (`NOT_STARTED`). The proxy keeps
 *   each seeded identity's DKIM state itself and answers those two calls (HTTP paths and bodies of the real
 *   API): the private key must be base64 PKCS#1 DER (else `BadRequestException`, as SES), the identity must
 *   exist in moto (else `NotFoundException`). `GetEmailIdentity` is forwarded to moto (existence, the rest of
 *   the answer) and its `DkimAttributes` replaced by the proxy's. A BYODKIM status is decided the way SES
 *   decides it: the record `<selector>._domainkey.<domain>` is looked up in the loopback DNS on every read,
 *   and it is SUCCESS only when a TXT record there carries `v=DKIM1` and exactly the key's public half
 *   (the SPKI derived from the private key SES was given) — PENDING otherwise.
 * - **Route 53 → DNS.** After every `ChangeResourceRecordSets` the zone's records are read back from moto
 *   and the loopback DNS model replaced by them before the answer reaches the caller (`onZoneChange`).
 * - **Records** of what happened, at the injected clock's time: every DynamoDB write request body (state
 *   versions, events), every SES DKIM switch and every configuration SES had (`sesHistory`), every key the
 *   key store was given or told to delete (`secrets`: Secrets Manager `CreateSecret` / `DeleteSecret`, the
 *   value kept for the invariant checker's scan, never printed), and a signing timeline (`observe`) — what
 *   SES signs each domain with.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeDkim {
  origin: 'AWS_SES' | 'EXTERNAL';
  signingEnabled: boolean;
  tokens: string[];
  selector?: string;
  /** The public half of the key SES was given (base64 SPKI DER); never the private key. */
  publicKey?: string;
}

export interface SigningPoint {
  readonly at: number;
  readonly domain: string;
  readonly why: string;
  /** `easy-dkim`, `<selector>` or `none` */
  readonly signingWith: string;
  readonly signed: boolean;
}

export interface SesSwitch {
  readonly at: number;
  readonly domain: string;
  readonly call: 'PutEmailIdentityDkimSigningAttributes' | 'PutEmailIdentityDkimAttributes';
  readonly selector?: string;
  readonly signingEnabled?: boolean;
  /** The record as the loopback DNS answered at the moment of the switch. */
  readonly recordVerified?: boolean;
  /** `PutEmailIdentityDkimSigningAttributes`: the public half of the key SES was given. */
  readonly publicKey?: string;
}

/** An identity's DKIM configuration from `at` on (after its seeding and every Put call). */
export interface SesConfiguration {
  readonly at: number;
  readonly domain: string;
  readonly origin: 'AWS_SES' | 'EXTERNAL';
  readonly signingEnabled: boolean;
  readonly selector?: string;
  readonly publicKey?: string;
}

/** A Secrets Manager write as sent: `CreateSecret` (name and value) or `DeleteSecret` (the secret's id). */
export interface SecretWrite {
  readonly at: number;
  readonly action: 'CreateSecret' | 'DeleteSecret';
  readonly name: string;
  readonly value?: string;
}

export interface E2eProxyOptions {
  /** moto's endpoint. */
  readonly target: string;
  /** The loopback DNS server SES looks records up on (`host:port`). */
  readonly dnsServer: string;
  /** The test's clock (epoch ms). */
  readonly now: () => number;
  /** Called after a Route 53 change was applied by moto, before the caller gets the answer. */
  readonly onZoneChange?: (zoneId: string) => Promise<void>;
}

export interface E2eProxy {
  readonly endpoint: string;
  readonly dkim: Map<string, FakeDkim>;
  readonly switches: SesSwitch[];
  readonly timeline: SigningPoint[];
  /** DynamoDB write requests as sent (`X-Amz-Target` action and the JSON body), at the clock's time. */
  readonly dynamoWrites: { at: number; action: string; body: string }[];
  readonly sesHistory: SesConfiguration[];
  readonly secrets: SecretWrite[];
  /** An identity that signs with Easy DKIM (it exists in moto already). */
  seedEasyDkim(domain: string): void;
  /** Records what SES signs `domain` with now (also done after every switch). */
  observe(domain: string, why: string): Promise<SigningPoint>;
  stop(): Promise<void>;
}

/** `v=DKIM1; k=rsa; p=…` → its tags; undefined when malformed. */
export function dkimTags(value: string): Map<string, string> | undefined {
  const tags = new Map<string, string>();
  for (const part of value.split(';')) {
    if (part.trim() === '') continue;
    const at = part.indexOf('=');
    if (at < 0) return undefined;
    tags.set(part.slice(0, at).trim(), part.slice(at + 1).replace(/\s+/g, ''));
  }
  return tags;
}

/** SES's verdict on one published record: `v=DKIM1` first, `k=rsa` if present, `p=` exactly the public key. */
export function recordCarriesKey(value: string, publicKey: string): boolean {
  const tags = dkimTags(value);
  if (!tags) return false;
  if (!value.trimStart().startsWith('v=DKIM1')) return false;
  if (tags.has('k') && tags.get('k') !== 'rsa') return false;
  return tags.get('p') === publicKey;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function json(out: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  out.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(payload.length),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  out.end(payload);
}

const IDENTITY = /^\/v2\/email\/identities\/([^/?]+)(\/dkim(\/signing)?)?\/?(\?.*)?$/;
const RRSET = /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/;

export async function startE2eProxy(options: E2eProxyOptions): Promise<E2eProxy> {
  const upstream = new URL(options.target);
  const dkim = new Map<string, FakeDkim>();
  const switches: SesSwitch[] = [];
  const timeline: SigningPoint[] = [];
  const dynamoWrites: { at: number; action: string; body: string }[] = [];
  const sesHistory: SesConfiguration[] = [];
  const secrets: SecretWrite[] = [];
  const configured = (domain: string, state: FakeDkim) =>
    sesHistory.push({
      at: options.now(),
      domain,
      origin: state.origin,
      signingEnabled: state.signingEnabled,
      ...(state.selector !== undefined ? { selector: state.selector } : {}),
      ...(state.publicKey !== undefined ? { publicKey: state.publicKey } : {}),
    });
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([options.dnsServer]);

  async function published(name: string): Promise<string[]> {
    try {
      return (await resolver.resolveTxt(name)).map((strings) => strings.join(''));
    } catch {
      return [];
    }
  }

  async function status(domain: string, state: FakeDkim): Promise<'SUCCESS' | 'PENDING'> {
    if (state.origin === 'AWS_SES') return 'SUCCESS';
    if (!state.selector || !state.publicKey) return 'PENDING';
    const records = await published(`${state.selector}._domainkey.${domain}`);
    return records.some((value) => recordCarriesKey(value, state.publicKey!)) ? 'SUCCESS' : 'PENDING';
  }

  async function observe(domain: string, why: string): Promise<SigningPoint> {
    const state = dkim.get(domain);
    let point: SigningPoint;
    if (!state || !state.signingEnabled) {
      point = { at: options.now(), domain, why, signingWith: 'none', signed: false };
    } else {
      const verdict = await status(domain, state);
      point = {
        at: options.now(),
        domain,
        why,
        signingWith: state.origin === 'AWS_SES' ? 'easy-dkim' : state.selector!,
        signed: verdict === 'SUCCESS',
      };
    }
    timeline.push(point);
    return point;
  }

  function forward(
    incoming: Pick<IncomingMessage, 'method' | 'url' | 'headers'>,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers = { ...incoming.headers, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      const req = request(
        { hostname: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers },
        (answer) => {
          readAll(answer).then(
            (b) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: b }),
            reject,
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  function recordWrite(target: string, body: Buffer): void {
    if (
      target.startsWith('DynamoDB_') &&
      /\.(PutItem|UpdateItem|DeleteItem|TransactWriteItems|BatchWriteItem)$/.test(target)
    ) {
      dynamoWrites.push({ at: options.now(), action: target.split('.')[1]!, body: body.toString('utf8') });
    }
    if (target === 'secretsmanager.CreateSecret' || target === 'secretsmanager.DeleteSecret') {
      const input = JSON.parse(body.toString('utf8') || '{}') as {
        Name?: string;
        SecretId?: string;
        SecretString?: string;
      };
      secrets.push({
        at: options.now(),
        action: target === 'secretsmanager.CreateSecret' ? 'CreateSecret' : 'DeleteSecret',
        name: input.Name ?? input.SecretId ?? '',
        ...(input.SecretString !== undefined ? { value: input.SecretString } : {}),
      });
    }
  }

  async function handle(incoming: IncomingMessage, out: ServerResponse): Promise<void> {
    const body = await readAll(incoming);
    const url = incoming.url ?? '/';
    const target = String(incoming.headers['x-amz-target'] ?? '');
    const identity = IDENTITY.exec(url);
    if (identity) {
      const domain = decodeURIComponent(identity[1]!);
      const state = dkim.get(domain);
      const sub = identity[2];
      if (sub && incoming.method === 'PUT') {
        // Existence is moto's: GetEmailIdentity on the same identity.
        const exists = await forward(
          { method: 'GET', url: `/v2/email/identities/${identity[1]}`, headers: incoming.headers },
          Buffer.alloc(0),
        );
        if (exists.status === 404 || !state) {
          return json(out, 404, { message: `Email identity ${domain} does not exist.` }, 'NotFoundException');
        }
        const input = JSON.parse(body.toString('utf8') || '{}') as {
          SigningEnabled?: boolean;
          SigningAttributesOrigin?: string;
          SigningAttributes?: { DomainSigningSelector?: string; DomainSigningPrivateKey?: string };
        };
        if (identity[3]) {
          const selector = input.SigningAttributes?.DomainSigningSelector;
          const privateKey = input.SigningAttributes?.DomainSigningPrivateKey;
          if (input.SigningAttributesOrigin !== 'EXTERNAL' || !selector || !privateKey) {
            return json(
              out,
              400,
              { message: 'EXTERNAL signing needs a selector and a private key' },
              'BadRequestException',
            );
          }
          let publicKey: string;
          try {
            const key = createPrivateKey({ key: Buffer.from(privateKey, 'base64'), format: 'der', type: 'pkcs1' });
            if (!/^[A-Za-z0-9+/]+={0,2}$/.test(privateKey)) throw new Error('not base64 on one line');
            // OpenSSL also decodes PKCS#8 when asked for PKCS#1: SES does not; only exact PKCS#1 DER passes.
            const der = Buffer.from(privateKey, 'base64');
            if (!(key.export({ type: 'pkcs1', format: 'der' }) as Buffer).equals(der)) throw new Error('not PKCS#1');
            publicKey = (createPublicKey(key).export({ type: 'spki', format: 'der' }) as Buffer).toString('base64');
          } catch {
            return json(out, 400, { message: 'Invalid private key.' }, 'BadRequestException');
          }
          Object.assign(state, { origin: 'EXTERNAL', selector, publicKey, tokens: [selector] });
          configured(domain, state);
          const verdict = await status(domain, state);
          switches.push({
            at: options.now(),
            domain,
            call: 'PutEmailIdentityDkimSigningAttributes',
            selector,
            recordVerified: verdict === 'SUCCESS',
            publicKey,
          });
          await observe(domain, `PutEmailIdentityDkimSigningAttributes ${selector}`);
          return json(out, 200, { DkimStatus: verdict, DkimTokens: [selector] });
        }
        if (typeof input.SigningEnabled !== 'boolean') {
          return json(out, 400, { message: 'SigningEnabled must be a boolean' }, 'BadRequestException');
        }
        state.signingEnabled = input.SigningEnabled;
        configured(domain, state);
        switches.push({
          at: options.now(),
          domain,
          call: 'PutEmailIdentityDkimAttributes',
          signingEnabled: input.SigningEnabled,
        });
        await observe(domain, `PutEmailIdentityDkimAttributes ${input.SigningEnabled}`);
        return json(out, 200, {});
      }
      if (!sub && incoming.method === 'GET' && state) {
        const answer = await forward(incoming, body);
        if (answer.status !== 200) {
          out.writeHead(answer.status, answer.headers);
          out.end(answer.body);
          return;
        }
        const parsed = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
        parsed.DkimAttributes = {
          SigningEnabled: state.signingEnabled,
          Status: await status(domain, state),
          SigningAttributesOrigin: state.origin,
          Tokens: state.tokens,
          ...(state.origin === 'AWS_SES'
            ? { NextSigningKeyLength: 'RSA_2048_BIT', CurrentSigningKeyLength: 'RSA_2048_BIT' }
            : {}),
        };
        return json(out, 200, parsed);
      }
    }
    const answer = await forward(incoming, body);
    // Writes that took effect (a refused compare-and-swap or a failed transaction is not history).
    if (answer.status === 200) recordWrite(target, body);
    const rrset = RRSET.exec(url);
    if (rrset && incoming.method === 'POST' && answer.status === 200 && options.onZoneChange) {
      await options.onZoneChange(rrset[1]!);
    }
    const headers = { ...answer.headers, 'content-length': String(answer.body.length) };
    delete headers['transfer-encoding'];
    out.writeHead(answer.status, headers);
    out.end(answer.body);
  }

  const server: Server = createServer((incoming, out) => {
    handle(incoming, out).catch((error: Error) => {
      if (!out.headersSent) out.writeHead(502, { 'content-type': 'text/plain' });
      out.end(`e2e proxy: ${error.message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    dkim,
    switches,
    timeline,
    dynamoWrites,
    sesHistory,
    secrets,
    seedEasyDkim(domain) {
      const state: FakeDkim = {
        origin: 'AWS_SES',
        signingEnabled: true,
        tokens: ['easy1token', 'easy2token', 'easy3token'].map((t) => `${t}${domain.replace(/\W/g, '')}`),
      };
      dkim.set(domain, state);
      configured(domain, state);
    },
    observe,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

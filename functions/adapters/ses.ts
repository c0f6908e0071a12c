/**
 * The real {@link SesIdentityDkim}: SES v2 `GetEmailIdentity`, `PutEmailIdentityDkimSigningAttributes`
 * (BYODKIM, `SigningAttributesOrigin=EXTERNAL`) and `PutEmailIdentityDkimAttributes` (docs/design.md §2).
 *
 * The private key is checked before the call (base64 PKCS#1 DER on one line: PKCS#8 and base64 of a PEM
 * file are accepted by SES and then never verify) and exists only inside `putExternalSigningKey`: the
 * errors it can raise never quote it (invariant 6), and the SDK marks `DomainSigningPrivateKey` as sensitive
 * in its own logs.
 */
import {
  GetEmailIdentityCommand,
  PutEmailIdentityDkimAttributesCommand,
  PutEmailIdentityDkimSigningAttributesCommand,
  SESv2Client,
  type DkimAttributes,
} from '@aws-sdk/client-sesv2';
import { ServiceError } from '../core/errors';
import { assertSelector } from '../core/names';
import { assertSesPrivateKey } from '../dkim/keys';
import type { SesDkimAttributes, SesDkimStatus, SesIdentityDkim, SesSigningOrigin } from '../lifecycle/ports';
import { awsClientConfig, callAws, type AwsCall } from './aws-errors';

const SERVICE = 'SES';

const STATUSES: ReadonlySet<string> = new Set<SesDkimStatus>([
  'PENDING',
  'SUCCESS',
  'FAILED',
  'TEMPORARY_FAILURE',
  'NOT_STARTED',
]);

export interface SesV2IdentityDkimOptions {
  /** Injected in tests; by default a client with {@link awsClientConfig} (no explicit endpoint). */
  readonly client?: SESv2Client;
}

/**
 * `DkimAttributes` as the port sees them. Deterministic Easy DKIM (`AWS_SES_<REGION>`: the keys of another
 * region's identity) is Easy DKIM; a status SES has not documented is refused rather than guessed.
 */
export function toSesDkimAttributes(domain: string, dkim: DkimAttributes | undefined): SesDkimAttributes {
  if (!dkim) return { signingEnabled: false, status: 'NOT_STARTED', tokens: [] };
  const rawOrigin = dkim.SigningAttributesOrigin;
  const origin: SesSigningOrigin | undefined =
    rawOrigin === undefined ? undefined : rawOrigin === 'EXTERNAL' ? 'EXTERNAL' : 'AWS_SES';
  if (rawOrigin !== undefined && rawOrigin !== 'EXTERNAL' && !rawOrigin.startsWith('AWS_SES')) {
    throw new ServiceError(
      'UNEXPECTED_RESPONSE',
      `SES GetEmailIdentity on identity ${domain}: unknown DKIM SigningAttributesOrigin ${JSON.stringify(rawOrigin)}`,
      SERVICE,
    );
  }
  const status = dkim.Status ?? 'NOT_STARTED';
  if (!STATUSES.has(status)) {
    throw new ServiceError(
      'UNEXPECTED_RESPONSE',
      `SES GetEmailIdentity on identity ${domain}: unknown DKIM Status ${JSON.stringify(status)}`,
      SERVICE,
    );
  }
  return {
    ...(origin !== undefined ? { origin } : {}),
    signingEnabled: dkim.SigningEnabled === true,
    status: status as SesDkimStatus,
    tokens: [...(dkim.Tokens ?? [])],
  };
}

export class SesV2IdentityDkim implements SesIdentityDkim {
  private readonly client: SESv2Client;

  constructor(options: SesV2IdentityDkimOptions = {}) {
    this.client = options.client ?? new SESv2Client(awsClientConfig());
  }

  async getDkim(domain: string): Promise<SesDkimAttributes | undefined> {
    const call: AwsCall = { service: SERVICE, action: 'GetEmailIdentity', resource: `identity ${domain}` };
    try {
      const answer = await callAws(call, () =>
        this.client.send(new GetEmailIdentityCommand({ EmailIdentity: domain })),
      );
      return toSesDkimAttributes(domain, answer.DkimAttributes);
    } catch (error) {
      // The identity does not exist (yet): Terraform creates it.
      if (error instanceof ServiceError && error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }

  async putExternalSigningKey(domain: string, selector: string, privateKey: string): Promise<void> {
    assertSelector(selector);
    // Throws a KeyError that never quotes the key (functions/dkim/keys.ts).
    assertSesPrivateKey(privateKey);
    const call: AwsCall = {
      service: SERVICE,
      action: 'PutEmailIdentityDkimSigningAttributes',
      resource: `identity ${domain} (selector ${selector})`,
      sensitive: [privateKey],
    };
    await callAws(call, () =>
      this.client.send(
        new PutEmailIdentityDkimSigningAttributesCommand({
          EmailIdentity: domain,
          SigningAttributesOrigin: 'EXTERNAL',
          SigningAttributes: { DomainSigningSelector: selector, DomainSigningPrivateKey: privateKey },
        }),
      ),
    );
  }

  async setSigningEnabled(domain: string, enabled: boolean): Promise<void> {
    const call: AwsCall = {
      service: SERVICE,
      action: 'PutEmailIdentityDkimAttributes',
      resource: `identity ${domain}`,
    };
    await callAws(call, () =>
      this.client.send(new PutEmailIdentityDkimAttributesCommand({ EmailIdentity: domain, SigningEnabled: enabled })),
    );
  }
}

/**
 * The real {@link KeyStore}: AWS Secrets Manager, one secret per key, encrypted with the environment's
 * customer-managed KMS key (docs/design.md §5).
 *
 * - Name: `<prefix>/<domain>/<keyId>` (the prefix is the environment's, `BYODKIM_SECRET_PREFIX`; the IAM
 *   policy limits the Lambdas to it).
 * - Value (`SecretString`): JSON `{"format":"ses-pkcs1-der-base64","privateKey":…,"publicKey":…}`. Only
 *   `readPrivateKey` reads it, and only it returns the private key (invariant 6).
 * - The public key is not secret and `list` must not read every secret's value to learn it: it is kept in
 *   the secret's `Description`, which `ListSecrets` returns, as `… p=<base64 SubjectPublicKeyInfo>` (a
 *   2048-bit key's SPKI is 392 characters: too long for a tag value, which holds 256, while a description
 *   holds 2048). A secret whose description lost it (edited by hand) is read once for its public key.
 * - Tags: `Domain`, `Selector` (the key id, the selector name the engine made for it), `ManagedBy=byodkim`.
 * - `list` uses `ListSecrets` with a name-prefix filter and `IncludePlannedDeletion`, so a key scheduled for
 *   deletion is still listed (with `deletionScheduledAt` from `DeletedDate`) until Secrets Manager purges it.
 * - `create` never overwrites: a secret that exists (even scheduled for deletion) answers `exists`.
 * - `scheduleDeletion` is `DeleteSecret` with a recovery window; scheduling it again, or for a secret
 *   already gone, is not an error.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
  type SecretListEntry,
} from '@aws-sdk/client-secrets-manager';
import { ServiceError, ValidationError } from '../core/errors';
import type { KeyPair, KeyStore, StoredKey } from '../lifecycle/ports';
import { awsClientConfig, callAws, isAwsError, mapAwsError, type AwsCall } from './aws-errors';

const SERVICE = 'Secrets Manager';
/** What `SecretString` holds (a later format gets another name). */
export const SECRET_FORMAT = 'ses-pkcs1-der-base64';
export const MANAGED_BY = 'byodkim';
/** `DeleteSecret` accepts a recovery window of 7 to 30 days. */
export const MIN_RECOVERY_WINDOW_DAYS = 7;
export const MAX_RECOVERY_WINDOW_DAYS = 30;

const DESCRIPTION_PREFIX = 'byodkim DKIM private key (SES form, PKCS#1). Public key:';
const PUBLIC_KEY_IN_DESCRIPTION = /(?:^|\s)p=([A-Za-z0-9+/]+={0,2})\s*$/;
/** Secret names: 1–512 of ASCII letters, digits and `/_+=.@-`. */
const NAME_PART = /^[A-Za-z0-9_+=.@-]+$/;

interface SecretValue {
  readonly format: string;
  readonly privateKey: string;
  readonly publicKey: string;
}

export interface SecretsManagerKeyStoreOptions {
  /** The environment's name prefix, e.g. `byodkim/prod` (no trailing slash needed). */
  readonly prefix: string;
  /** The environment's customer-managed KMS key (id, ARN or alias) that encrypts every secret. */
  readonly kmsKeyId: string;
  /** Injected in tests; by default a client with {@link awsClientConfig} (no explicit endpoint). */
  readonly client?: SecretsManagerClient;
  /** `ListSecrets` page size (1–100); tests make it small to cross pages. */
  readonly pageSize?: number;
}

/** The secret's description: says what it is, and ends with the public key (`p=`) for `list`. */
export function secretDescription(publicKey: string): string {
  return `${DESCRIPTION_PREFIX} p=${publicKey}`;
}

/** The public key in a description written by {@link secretDescription}, or undefined. */
export function publicKeyFromDescription(description: string | undefined): string | undefined {
  return description ? PUBLIC_KEY_IN_DESCRIPTION.exec(description)?.[1] : undefined;
}

function assertNamePart(value: string, field: string): void {
  if (!NAME_PART.test(value)) {
    throw new ValidationError(
      'INVALID_SECRET_NAME',
      `${field} ${JSON.stringify(value)} cannot be part of a secret name (letters, digits and _+=.@- only)`,
      field,
    );
  }
}

export class SecretsManagerKeyStore implements KeyStore {
  private readonly client: SecretsManagerClient;
  private readonly prefix: string;
  private readonly kmsKeyId: string;
  private readonly pageSize: number;

  constructor(options: SecretsManagerKeyStoreOptions) {
    const prefix = options.prefix.replace(/\/+$/, '');
    if (prefix.length === 0 || !prefix.split('/').every((part) => NAME_PART.test(part))) {
      throw new ValidationError(
        'INVALID_SECRET_PREFIX',
        `secret prefix ${JSON.stringify(options.prefix)} must be non-empty names of letters, digits and _+=.@- separated by /`,
        'prefix',
      );
    }
    if (options.kmsKeyId.length === 0) {
      throw new ValidationError('MISSING_KMS_KEY', 'the key store needs the environment KMS key id', 'kmsKeyId');
    }
    this.prefix = prefix;
    this.kmsKeyId = options.kmsKeyId;
    this.pageSize = options.pageSize ?? 100;
    this.client = options.client ?? new SecretsManagerClient(awsClientConfig());
  }

  /** `<prefix>/<domain>/<keyId>`. */
  secretName(domain: string, keyId: string): string {
    assertNamePart(domain, 'domain');
    assertNamePart(keyId, 'keyId');
    return `${this.prefix}/${domain}/${keyId}`;
  }

  async list(domain: string): Promise<readonly StoredKey[]> {
    assertNamePart(domain, 'domain');
    const stem = `${this.prefix}/${domain}/`;
    const entries = new Map<string, SecretListEntry>();
    let nextToken: string | undefined;
    const seen = new Set<string>();
    do {
      const token = nextToken;
      const page = await callAws({ service: SERVICE, action: 'ListSecrets', resource: `secrets named ${stem}*` }, () =>
        this.client.send(
          new ListSecretsCommand({
            Filters: [{ Key: 'name', Values: [stem] }],
            IncludePlannedDeletion: true,
            MaxResults: this.pageSize,
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      );
      for (const entry of page.SecretList ?? []) entries.set(entry.Name ?? '', entry);
      nextToken = page.NextToken;
      // A service that hands the same token back would loop for ever.
      if (nextToken !== undefined) {
        if (seen.has(nextToken)) break;
        seen.add(nextToken);
      }
    } while (nextToken);

    const keys: StoredKey[] = [];
    for (const [name, entry] of entries) {
      // The name filter is a case-insensitive prefix match: keep exactly this domain's secrets.
      if (!name.startsWith(stem)) continue;
      const keyId = name.slice(stem.length);
      if (keyId.length === 0 || keyId.includes('/')) continue;
      const publicKey =
        publicKeyFromDescription(entry.Description) ?? (await this.publicKeyFromValue(domain, keyId, entry));
      keys.push({
        keyId,
        publicKey,
        createdAt: entry.CreatedDate?.getTime() ?? 0,
        ...(entry.DeletedDate ? { deletionScheduledAt: entry.DeletedDate.getTime() } : {}),
      });
    }
    return keys.sort((a, b) => a.createdAt - b.createdAt || a.keyId.localeCompare(b.keyId));
  }

  async create(domain: string, keyId: string, pair: KeyPair): Promise<'created' | 'exists'> {
    const name = this.secretName(domain, keyId);
    const value: SecretValue = { format: SECRET_FORMAT, privateKey: pair.privateKey, publicKey: pair.publicKey };
    const call: AwsCall = {
      service: SERVICE,
      action: 'CreateSecret',
      resource: `secret ${name}`,
      sensitive: [pair.privateKey],
    };
    try {
      await this.client.send(
        new CreateSecretCommand({
          Name: name,
          KmsKeyId: this.kmsKeyId,
          SecretString: JSON.stringify(value),
          Description: secretDescription(pair.publicKey),
          Tags: [
            { Key: 'Domain', Value: domain },
            { Key: 'Selector', Value: keyId },
            { Key: 'ManagedBy', Value: MANAGED_BY },
          ],
        }),
      );
      return 'created';
    } catch (error) {
      if (isAwsError(error, 'ResourceExistsException')) return 'exists';
      // A secret scheduled for deletion still holds its name: it exists (and `list` shows it).
      if (isAwsError(error, 'InvalidRequestException') && (await this.scheduledForDeletion(name))) return 'exists';
      throw mapAwsError(error, call);
    }
  }

  async readPrivateKey(domain: string, keyId: string): Promise<string> {
    return (await this.readValue(domain, keyId)).privateKey;
  }

  async scheduleDeletion(domain: string, keyId: string, recoveryWindowDays: number): Promise<void> {
    if (
      !Number.isInteger(recoveryWindowDays) ||
      recoveryWindowDays < MIN_RECOVERY_WINDOW_DAYS ||
      recoveryWindowDays > MAX_RECOVERY_WINDOW_DAYS
    ) {
      throw new ValidationError(
        'INVALID_RECOVERY_WINDOW',
        `the recovery window must be ${MIN_RECOVERY_WINDOW_DAYS} to ${MAX_RECOVERY_WINDOW_DAYS} days (is ${recoveryWindowDays})`,
        'recoveryWindowDays',
      );
    }
    const name = this.secretName(domain, keyId);
    const call: AwsCall = { service: SERVICE, action: 'DeleteSecret', resource: `secret ${name}` };
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: recoveryWindowDays }));
    } catch (error) {
      // Gone already (purged after an earlier window): nothing left to delete.
      if (isAwsError(error, 'ResourceNotFoundException')) return;
      // Scheduled already: the first schedule stands.
      if (isAwsError(error, 'InvalidRequestException') && (await this.scheduledForDeletion(name))) return;
      throw mapAwsError(error, call);
    }
  }

  /**
   * A description without `p=` (edited by hand): the public key from the secret's value. A secret scheduled
   * for deletion cannot be read; its public key is then unknown (empty), which only matters for a key that
   * is on its way out anyway.
   */
  private async publicKeyFromValue(domain: string, keyId: string, entry: SecretListEntry): Promise<string> {
    try {
      return (await this.readValue(domain, keyId)).publicKey;
    } catch (error) {
      if (entry.DeletedDate !== undefined) return '';
      throw error;
    }
  }

  private async scheduledForDeletion(name: string): Promise<boolean> {
    const described = await callAws({ service: SERVICE, action: 'DescribeSecret', resource: `secret ${name}` }, () =>
      this.client.send(new DescribeSecretCommand({ SecretId: name })),
    );
    return described.DeletedDate !== undefined;
  }

  /** The secret's JSON; errors name the secret, never its content. */
  private async readValue(domain: string, keyId: string): Promise<SecretValue> {
    const name = this.secretName(domain, keyId);
    const call: AwsCall = { service: SERVICE, action: 'GetSecretValue', resource: `secret ${name}` };
    const answer = await callAws(call, () => this.client.send(new GetSecretValueCommand({ SecretId: name })));
    const corrupt = (what: string) =>
      new ServiceError(
        'CORRUPT_SECRET',
        `secret ${name} ${what}: it was not written by byodkim's key store (or was edited); restore it from a version or replace the key`,
        SERVICE,
      );
    if (typeof answer.SecretString !== 'string') throw corrupt('has no SecretString');
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.SecretString);
    } catch {
      throw corrupt('is not JSON');
    }
    const value = parsed as Partial<SecretValue> | null;
    if (
      value === null ||
      typeof value !== 'object' ||
      value.format !== SECRET_FORMAT ||
      typeof value.privateKey !== 'string' ||
      typeof value.publicKey !== 'string'
    ) {
      throw corrupt(`is not in the ${SECRET_FORMAT} format`);
    }
    return { format: value.format, privateKey: value.privateKey, publicKey: value.publicKey };
  }
}

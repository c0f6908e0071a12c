/**
 * The real {@link DnsZoneWriter}: Route 53 `ChangeResourceRecordSets` (UPSERT, and DELETE for record removal)
 * of ONE TXT record per name, and `GetChange` (docs/design.md §2).
 *
 * A DKIM value longer than 255 characters is ONE record made of several character-strings: Route 53 takes
 * it as one `ResourceRecord` whose `Value` is the strings each quoted (`"` and `\` escaped), separated by a
 * space, at most 4000 characters (functions/dkim/record.ts). Splitting it into several records breaks the key.
 *
 * `zone` is a hosted zone id (route53 mode: `Z0123…` or `/hostedzone/Z0123…`) or a zone name (delegated
 * mode: the zone the stack owns, found with `ListHostedZonesByName`, public and unique, and cached).
 *
 * Route 53 allows 10 requests per second per account (burst 50) and answers `PriorRequestNotComplete` while
 * a change to the zone is pending: both are `TransientError`s (aws-errors.ts).
 */
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type HostedZone,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { ServiceError, ValidationError } from '../core/errors';
import { quoteString, ROUTE53_TXT_VALUE_MAX, TXT_STRING_MAX_OCTETS } from '../dkim/record';
import type { ChangeStatus, DnsZoneWriter } from '../lifecycle/ports';
import { awsClientConfig, callAws } from './aws-errors';

const SERVICE = 'Route 53';
/** The comment on every change byodkim makes: an operator reading the zone's history sees who wrote it. */
export const CHANGE_COMMENT = 'byodkim: DKIM key record';
/** How many zones one `ListHostedZonesByName` page asks for (several zones may share a name). */
const ZONES_PAGE = 100;

export interface Route53ZoneWriterOptions {
  /** Injected in tests; by default a client with {@link awsClientConfig} (no explicit endpoint). */
  readonly client?: Route53Client;
}

/** A hosted zone id as `ChangeResourceRecordSets` takes it, or undefined when `zone` is a name. */
export function hostedZoneId(zone: string): string | undefined {
  const id = zone.replace(/^\/?hostedzone\//, '');
  return /^[A-Za-z0-9]+$/.test(id) && !zone.includes('.') ? id : undefined;
}

/** `name` as Route 53 writes it back: lowercase ASCII, absolute (trailing dot). */
function absolute(name: string): string {
  const lower = name.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/**
 * ONE TXT record's `Value`: each string quoted (`"` and `\` escaped), separated by a space. Refuses an
 * empty list, a string over 255 octets and a value over Route 53's 4000 characters.
 */
export function route53TxtValue(strings: readonly string[]): string {
  if (strings.length === 0) {
    throw new ValidationError('EMPTY_TXT_RECORD', 'a TXT record needs at least one character-string', 'strings');
  }
  strings.forEach((text, index) => {
    const octets = Buffer.byteLength(text, 'utf8');
    if (octets > TXT_STRING_MAX_OCTETS) {
      throw new ValidationError(
        'TXT_STRING_TOO_LONG',
        `character-string ${index + 1} has ${octets} octets; one string holds at most ${TXT_STRING_MAX_OCTETS} (split the value with splitIntoStrings)`,
        `strings[${index}]`,
      );
    }
  });
  const value = strings.map(quoteString).join(' ');
  if (value.length > ROUTE53_TXT_VALUE_MAX) {
    throw new ValidationError(
      'RECORD_VALUE_TOO_LONG',
      `record value takes ${value.length} characters as quoted strings; Route 53 allows ${ROUTE53_TXT_VALUE_MAX}`,
      'strings',
    );
  }
  return value;
}

function assertTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 0 || ttlSeconds > 2147483647) {
    throw new ValidationError(
      'INVALID_TTL',
      `ttl must be an integer from 0 to 2147483647 seconds (is ${ttlSeconds})`,
      'ttlSeconds',
    );
  }
}

/** `C0123…` from `/change/C0123…` (either is accepted by `getChange`). */
function changeIdOf(id: string): string {
  return id.replace(/^\/?change\//, '');
}

export class Route53ZoneWriter implements DnsZoneWriter {
  private readonly client: Route53Client;
  /** Zone name (absolute, lowercase) → hosted zone id: a delegated zone does not move. */
  private readonly zoneIds = new Map<string, string>();

  constructor(options: Route53ZoneWriterOptions = {}) {
    this.client = options.client ?? new Route53Client(awsClientConfig());
  }

  async upsertTxt(
    zone: string,
    name: string,
    strings: readonly string[],
    ttlSeconds: number,
  ): Promise<{ changeId: string }> {
    const value = route53TxtValue(strings);
    assertTtl(ttlSeconds);
    const zoneId = await this.resolveZone(zone);
    return this.change(zoneId, 'UPSERT', {
      Name: name,
      Type: 'TXT',
      TTL: ttlSeconds,
      ResourceRecords: [{ Value: value }],
    });
  }

  /**
   * Removes the TXT record at `name` (DELETE must repeat the record exactly, so it is read first). Undefined
   * when there is no such record: removing it again is not an error.
   */
  async deleteTxt(zone: string, name: string): Promise<{ changeId: string } | undefined> {
    const zoneId = await this.resolveZone(zone);
    const current = await this.readTxt(zoneId, name);
    if (!current) return undefined;
    return this.change(zoneId, 'DELETE', current);
  }

  /** The TXT record set Route 53 holds at `name`, exactly as it holds it, or undefined. */
  async readTxt(zone: string, name: string): Promise<ResourceRecordSet | undefined> {
    const zoneId = await this.resolveZone(zone);
    const wanted = absolute(name);
    const answer = await callAws(
      { service: SERVICE, action: 'ListResourceRecordSets', resource: `hosted zone ${zoneId} (${wanted} TXT)` },
      () =>
        this.client.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: zoneId,
            StartRecordName: wanted,
            StartRecordType: 'TXT',
            MaxItems: 1,
          }),
        ),
    );
    const found = answer.ResourceRecordSets?.[0];
    return found && found.Type === 'TXT' && absolute(found.Name ?? '') === wanted ? found : undefined;
  }

  async getChange(changeId: string): Promise<ChangeStatus> {
    const id = changeIdOf(changeId);
    const answer = await callAws({ service: SERVICE, action: 'GetChange', resource: `change ${id}` }, () =>
      this.client.send(new GetChangeCommand({ Id: id })),
    );
    const status = answer.ChangeInfo?.Status;
    if (status !== 'PENDING' && status !== 'INSYNC') {
      throw new ServiceError(
        'UNEXPECTED_RESPONSE',
        `Route 53 GetChange on change ${id}: unknown status ${JSON.stringify(status)}`,
        SERVICE,
      );
    }
    return status;
  }

  /** The hosted zone id for a zone id (with or without `/hostedzone/`) or a public zone's name. */
  async resolveZone(zone: string): Promise<string> {
    const id = hostedZoneId(zone);
    if (id) return id;
    const name = absolute(zone);
    const cached = this.zoneIds.get(name);
    if (cached) return cached;
    const zones = await this.zonesNamed(name);
    const pub = zones.filter((z) => z.Config?.PrivateZone !== true);
    if (pub.length === 0) {
      throw new ServiceError(
        zones.length > 0 ? 'ZONE_PRIVATE' : 'NOT_FOUND',
        zones.length > 0
          ? `Route 53 zone ${name} is private only (${zones.map((z) => hostedZoneId(z.Id ?? '')).join(', ')}): DKIM records must be in a public zone`
          : `Route 53 has no hosted zone named ${name} in this account`,
        SERVICE,
      );
    }
    if (pub.length > 1) {
      throw new ServiceError(
        'ZONE_AMBIGUOUS',
        `Route 53 has ${pub.length} public hosted zones named ${name} (${pub.map((z) => hostedZoneId(z.Id ?? '')).join(', ')}): give the zone's id instead of its name`,
        SERVICE,
      );
    }
    const found = hostedZoneId(pub[0]!.Id ?? '');
    if (!found) {
      throw new ServiceError('UNEXPECTED_RESPONSE', `Route 53 returned zone ${name} without an id`, SERVICE);
    }
    this.zoneIds.set(name, found);
    return found;
  }

  /** Every hosted zone named exactly `name` (ListHostedZonesByName starts at the name, in name order). */
  private async zonesNamed(name: string): Promise<HostedZone[]> {
    const zones: HostedZone[] = [];
    let next: { DNSName: string; HostedZoneId?: string } = { DNSName: name };
    for (;;) {
      const page = await callAws(
        { service: SERVICE, action: 'ListHostedZonesByName', resource: `zone name ${name}` },
        () => this.client.send(new ListHostedZonesByNameCommand({ ...next, MaxItems: ZONES_PAGE })),
      );
      const listed = page.HostedZones ?? [];
      zones.push(...listed.filter((z) => absolute(z.Name ?? '') === name));
      const passed = listed.some((z) => absolute(z.Name ?? '') !== name);
      if (!page.IsTruncated || passed || !page.NextDNSName || absolute(page.NextDNSName) !== name) return zones;
      next = { DNSName: page.NextDNSName, ...(page.NextHostedZoneId ? { HostedZoneId: page.NextHostedZoneId } : {}) };
    }
  }

  private async change(
    zoneId: string,
    action: 'UPSERT' | 'DELETE',
    record: ResourceRecordSet,
  ): Promise<{ changeId: string }> {
    const answer = await callAws(
      {
        service: SERVICE,
        action: 'ChangeResourceRecordSets',
        resource: `hosted zone ${zoneId} (${action} ${record.Name} TXT)`,
      },
      () =>
        this.client.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: zoneId,
            ChangeBatch: { Comment: CHANGE_COMMENT, Changes: [{ Action: action, ResourceRecordSet: record }] },
          }),
        ),
    );
    const id = answer.ChangeInfo?.Id;
    if (!id) {
      throw new ServiceError(
        'UNEXPECTED_RESPONSE',
        `Route 53 ChangeResourceRecordSets on hosted zone ${zoneId} returned no change id`,
        SERVICE,
      );
    }
    return { changeId: changeIdOf(id) };
  }
}

/**
 * ByodkimDomain: the infrastructure side of one mail domain signed with its own DKIM keys.
 *
 * - The SES v2 email identity. Terraform ignores its `dkim_signing_attributes`: the key-manager Lambda
 *   owns them, so no private key ever reaches Terraform config, state or plan, and a rotation shows no
 *   drift. The construct never sets them.
 * - A configuration set, the identity's default: TLS required, reputation metrics, bounce and complaint
 *   suppression.
 * - What the DNS mode needs at deploy time: `route53` reads the existing hosted zone (and fails the plan
 *   if the zone does not hold the domain or is private); `delegated` creates the zone the stack owns and
 *   outputs the CNAME records the DNS team must create once; `external` creates nothing in DNS.
 * - The environment's key store key ({@link KeyStoreKey}) is shared, never created per domain.
 *
 * Construct ids (`EmailIdentity`, `ConfigurationSet`, `HostedZone`, `DelegatedZone`, …) are part of the
 * public contract: renaming one replaces the resource in every user's state.
 */
import { Annotations, TerraformOutput, Token } from 'cdktf';
import { Construct } from 'constructs';
import { DataAwsRoute53Zone } from '@cdktf/provider-aws/lib/data-aws-route53-zone';
import { Route53Zone } from '@cdktf/provider-aws/lib/route53-zone';
import { Sesv2ConfigurationSet } from '@cdktf/provider-aws/lib/sesv2-configuration-set';
import { Sesv2EmailIdentity } from '@cdktf/provider-aws/lib/sesv2-email-identity';
import { createHash } from 'node:crypto';
import { delegatedSlots, dkimRecordName, toALabel } from '../functions/core/names';
import { ByodkimError, ValidationError } from '../functions/core/errors';
import type {
  DelegatedDnsInput,
  DnsMode,
  DnsModeInput,
  DomainSpec,
  DomainSpecInput,
  ExternalDnsInput,
  KeyBits,
  Route53DnsMode,
  RotationPolicyInput,
} from '../functions/core/spec';
import { checkDomainSpec, describeValue, formatPath, formatValue } from '../functions/core/domain-rules';
import { KeyStoreKey } from './key-store-key';

/** The zone is in Route 53 and the stack may write `*._domainkey.<domain>` TXT records. */
export type Route53DnsProps = Route53DnsMode;
/** A DNS team publishes every record by hand. */
export type ExternalDnsProps = ExternalDnsInput;
/** The DNS team creates two CNAMEs once, into a Route 53 zone the stack owns. */
export type DelegatedDnsProps = DelegatedDnsInput;
export type DnsProps = DnsModeInput;
export type RotationPolicyProps = RotationPolicyInput;

/**
 * The domain's fields are a {@link DomainSpecInput}, so a resolved {@link DomainSpec} (an env file's
 * domain) is handed in whole — `{ ...spec, namePrefix }` — and comes out as `spec` unchanged.
 */
export interface ByodkimDomainProps extends DomainSpecInput {
  /** The mail domain; a Unicode IDN (例え.jp) is converted to its A-label (xn--r8jz45g.jp). */
  readonly domain: string;
  /** How DKIM records reach DNS: `route53`, `external` (a DNS team) or `delegated` (CNAMEs to our zone). */
  readonly dns: DnsProps;
  /** Selectors are `<selectorPrefix>-<yyyymmdd>-<n>`; delegated slots are `<selectorPrefix>1`/`2`. @default namePrefix */
  readonly selectorPrefix?: string;
  /** RSA key length: 2048, or 1024 only for DNS hosts that cannot hold a longer record (warns). @default 2048 */
  readonly keyBits?: KeyBits;
  /** When keys rotate and how long retired selectors stay published. @default 180/30/7 days, auto */
  readonly rotation?: RotationPolicyProps;
  /** The environment's key store key. @default the stack's shared key ({@link KeyStoreKey.ofStack}) */
  readonly encryptionKey?: KeyStoreKey;
  /** Prefix of generated names (lowercase letters, digits, hyphens), and the default selectorPrefix. @default 'byodkim' */
  readonly namePrefix?: string;
  /** The configuration set's name (1–64 letters, digits, `-`, `_`). @default `<namePrefix>-<domain, dots as hyphens>` */
  readonly configurationSetName?: string;
  /** `REQUIRE`: deliver only over TLS; `OPTIONAL`: fall back to plain text. @default 'REQUIRE' */
  readonly tlsPolicy?: 'REQUIRE' | 'OPTIONAL';
  /** Reasons an address is put on the configuration set's suppression list. @default ['BOUNCE', 'COMPLAINT'] */
  readonly suppressedReasons?: readonly ('BOUNCE' | 'COMPLAINT')[];
  /** Refuse `terraform destroy` (and replacement) of the identity and the delegated zone. @default true */
  readonly deletionProtection?: boolean;
  /** Tags on every resource, in addition to the provider's default tags and `DkimDomain`. @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The default `namePrefix`, and so the default `selectorPrefix`. */
export const DEFAULT_NAME_PREFIX = 'byodkim';
const NAME_PREFIX_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const CONFIGURATION_SET_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** `<prefix>-<domain with dots as hyphens>`, shortened with a stable hash when it exceeds 64 characters. */
export function defaultConfigurationSetName(namePrefix: string, domain: string): string {
  const name = `${namePrefix}-${domain.replace(/\./g, '-')}`;
  if (name.length <= 64) return name;
  const hash = createHash('sha256').update(domain).digest('hex').slice(0, 8);
  return `${name.slice(0, 55).replace(/-+$/, '')}-${hash}`;
}

/** A name safe for Terraform output names: `example.com` → `example_com`. */
function outputSlug(domain: string): string {
  return domain.replace(/[^a-zA-Z0-9]+/g, '_');
}

export class ByodkimDomain extends Construct {
  /** The domain as an A-label. */
  public readonly domain: string;
  /** The desired state the key-manager Lambda works towards (the lifecycle's contract). */
  public readonly spec: DomainSpec;
  /** The DNS mode: `route53`, `external` or `delegated`. */
  public readonly dnsMode: DnsMode['kind'];
  /** Selectors are `<selectorPrefix>-<yyyymmdd>-<n>` (delegated: the slots `<selectorPrefix>1`/`2`). */
  public readonly selectorPrefix: string;
  /** Where DKIM public keys are published: `*._domainkey.<domain>`. */
  public readonly recordNamePattern: string;
  /**
   * The Route 53 record names the key manager may write, as `StringLike` patterns for
   * `route53:ChangeResourceRecordSetsNormalizedRecordNames`; empty in external mode.
   */
  public readonly managedRecordNames: readonly string[];
  /** The `aws_sesv2_email_identity` resource. */
  public readonly emailIdentity: Sesv2EmailIdentity;
  /** The identity's ARN, for SES permissions limited to this identity. */
  public readonly identityArn: string;
  /** The `aws_sesv2_configuration_set` resource. */
  public readonly configurationSet: Sesv2ConfigurationSet;
  /** The configuration set's name (a literal). */
  public readonly configurationSetName: string;
  /** The configuration set's ARN. */
  public readonly configurationSetArn: string;
  /** The environment's key store key. */
  public readonly encryptionKey: KeyStoreKey;
  /** route53 mode: the domain's existing hosted zone (a data source). */
  public readonly hostedZone?: DataAwsRoute53Zone;
  /** delegated mode: the zone the stack owns. */
  public readonly delegatedZone?: Route53Zone;
  /** The zone the key manager writes to (route53 and delegated modes). */
  public readonly hostedZoneId?: string;
  /** The ARN of that zone, for Route 53 permissions limited to it. */
  public readonly hostedZoneArn?: string;
  /** delegated mode: the CNAME records the DNS team creates once (name → target). */
  public readonly delegationRecords: Readonly<Record<string, string>>;
  /** external and delegated modes: the DNS team's e-mail addresses. */
  public readonly dnsContacts: readonly string[];

  constructor(scope: Construct, id: string, props: ByodkimDomainProps) {
    super(scope, id);
    const fail = (message: string, field?: string): never => {
      throw new ValidationError('INVALID_PROPS', `ByodkimDomain ${this.node.path}: ${message}`, field);
    };

    if (Token.isUnresolved(props.domain)) fail('domain must be a literal domain name, not a token');
    try {
      toALabel(props.domain, 'domain');
    } catch (error) {
      fail(error instanceof ByodkimError ? error.message : String(error), 'domain');
    }
    const kind = (props.dns as { kind?: unknown } | undefined)?.kind;
    if (kind !== 'route53' && kind !== 'external' && kind !== 'delegated') {
      fail(`dns.kind must be "route53", "external" or "delegated" (given ${formatValue(kind)})`, 'dns.kind');
    }
    const namePrefix = props.namePrefix ?? DEFAULT_NAME_PREFIX;
    if (!Token.isUnresolved(namePrefix) && !NAME_PREFIX_PATTERN.test(namePrefix)) {
      fail(`namePrefix must be 1-32 lowercase letters, digits and inner hyphens (given ${formatValue(namePrefix)})`);
    }
    if (props.selectorPrefix === undefined && Token.isUnresolved(namePrefix)) {
      fail('selectorPrefix must be set when namePrefix is a token (it defaults to namePrefix)', 'selectorPrefix');
    }

    const { spec, violations } = checkDomainSpec(props, { selectorPrefix: namePrefix });
    const broken = violations.filter((v) => !Token.isUnresolved(v.value));
    if (broken.length > 0) {
      fail(
        broken.map((v) => `${formatPath(v.path)} ${v.rule} (${describeValue(v, formatPath(v.path))})`).join('; '),
        formatPath(broken[0].path),
      );
    }
    this.spec = spec;
    const domain = spec.domain;
    this.domain = domain;

    const configurationSetName = props.configurationSetName ?? defaultConfigurationSetName(namePrefix, domain);
    if (!Token.isUnresolved(configurationSetName) && !CONFIGURATION_SET_NAME_PATTERN.test(configurationSetName)) {
      fail(
        `configurationSetName must be 1-64 letters, digits, "-" or "_" (given ${formatValue(configurationSetName)})`,
      );
    }
    const suppressedReasons = props.suppressedReasons ?? ['BOUNCE', 'COMPLAINT'];
    for (const reason of suppressedReasons) {
      if (reason !== 'BOUNCE' && reason !== 'COMPLAINT') {
        fail(`suppressedReasons must contain only "BOUNCE" and "COMPLAINT" (given ${formatValue(reason)})`);
      }
    }
    const tlsPolicy = props.tlsPolicy ?? 'REQUIRE';
    if (tlsPolicy !== 'REQUIRE' && tlsPolicy !== 'OPTIONAL') {
      fail(`tlsPolicy must be "REQUIRE" or "OPTIONAL" (given ${formatValue(tlsPolicy)})`);
    }
    if (this.spec.keyBits === 1024) {
      Annotations.of(this).addWarning(
        `ByodkimDomain ${domain}: keyBits 1024 is weaker than the 2048 bits RFC 8301 recommends; use it only when the DNS host cannot hold a longer record`,
      );
    }

    const preventDestroy = props.deletionProtection ?? true;
    const tags = { ...(props.tags ?? {}), DkimDomain: domain };
    this.dnsMode = this.spec.dns.kind;
    this.selectorPrefix = this.spec.selectorPrefix;
    this.recordNamePattern = dkimRecordName('*', domain);
    this.encryptionKey = props.encryptionKey ?? KeyStoreKey.ofStack(this);

    this.configurationSet = new Sesv2ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName,
      deliveryOptions: { tlsPolicy },
      reputationOptions: { reputationMetricsEnabled: true },
      sendingOptions: { sendingEnabled: true },
      suppressionOptions: { suppressedReasons: [...suppressedReasons] },
      tags,
    });
    this.configurationSetName = configurationSetName;
    this.configurationSetArn = this.configurationSet.arn;

    this.emailIdentity = new Sesv2EmailIdentity(this, 'EmailIdentity', {
      emailIdentity: domain,
      configurationSetName: this.configurationSet.configurationSetName,
      tags,
      lifecycle: {
        // The key-manager Lambda owns DKIM signing attributes: the private key never enters Terraform.
        ignoreChanges: ['dkim_signing_attributes'],
        preventDestroy,
      },
    });
    this.identityArn = this.emailIdentity.arn;

    const dns = this.spec.dns;
    let delegationRecords: Record<string, string> = {};
    switch (dns.kind) {
      case 'route53': {
        const zoneName = 'lower(trimsuffix(self.name, "."))';
        this.hostedZone = new DataAwsRoute53Zone(this, 'HostedZone', {
          zoneId: dns.hostedZoneId,
          lifecycle: {
            postcondition: [
              {
                condition: `\${${zoneName} == "${domain}" || endswith("${domain}", ".\${${zoneName}}")}`,
                errorMessage: `Route 53 hosted zone ${dns.hostedZoneId} does not hold ${domain}: set dns.hostedZoneId to the zone of ${domain} or of a parent domain.`,
              },
              {
                condition: '${!self.private_zone}',
                errorMessage: `Route 53 hosted zone ${dns.hostedZoneId} is private: DKIM records must be in the public zone of ${domain}.`,
              },
            ],
          },
        });
        this.hostedZoneId = this.hostedZone.zoneId;
        this.hostedZoneArn = this.hostedZone.arn;
        this.managedRecordNames = [this.recordNamePattern];
        break;
      }
      case 'delegated': {
        this.delegatedZone = new Route53Zone(this, 'DelegatedZone', {
          name: dns.zoneName,
          comment: `byodkim: DKIM selector slots of ${domain}, reached by CNAME from ${this.recordNamePattern}`,
          forceDestroy: false,
          tags,
          lifecycle: { preventDestroy },
        });
        this.hostedZoneId = this.delegatedZone.zoneId;
        this.hostedZoneArn = this.delegatedZone.arn;
        const slots = delegatedSlots(this.selectorPrefix);
        this.managedRecordNames = slots.map((slot) => `${slot}.${dns.zoneName}`);
        delegationRecords = Object.fromEntries(
          slots.map((slot) => [dkimRecordName(slot, domain), `${slot}.${dns.zoneName}`]),
        );
        const slug = outputSlug(domain);
        new TerraformOutput(this, 'DelegationCnameRecords', {
          description: `CNAME records the DNS team of ${domain} creates once (name => target)`,
          value: delegationRecords,
        }).overrideLogicalId(`${slug}_dkim_cname_records`);
        new TerraformOutput(this, 'DelegatedZoneNameServers', {
          description: `NS records that delegate ${dns.zoneName} to the zone this stack owns`,
          value: this.delegatedZone.nameServers,
        }).overrideLogicalId(`${slug}_dkim_zone_name_servers`);
        break;
      }
      case 'external':
        this.managedRecordNames = [];
        break;
    }
    this.delegationRecords = delegationRecords;
    this.dnsContacts = dns.kind === 'route53' ? [] : [...dns.contacts];
  }
}

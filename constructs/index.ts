/**
 * What another team's CDKTF stack can use: the public constructs, the security pack over synthesized
 * Terraform (`checkTerraform`, `addSecurityChecks`; docs/security.md), and from `functions/core` the domain
 * spec (its types and `resolveDomainSpec`, the one place its defaults are applied), the domain rules
 * and the name rules they share. Import with `import { ByodkimDomain, KeyStoreKey } from
 * 'byodkim'` (or a relative path); the engine is `byodkim/engine`. `ByodkimStack` is not here: it reads this repository's env
 * files and lives in `main.ts`.
 */
export * from './aws-context';
export * from './byodkim-domain';
export * from './dkim-rotation-schedule';
export * from './key-store-key';
export * from './monitoring-suite';
export * from './security';
export * from '../functions/core/domain-rules';
export {
  DEFAULTS,
  defaultRenewBeforeDays,
  resolveDomainSpec,
  SES_DNS_SEARCH_DAYS,
  type DelegatedDnsInput,
  type DelegatedDnsMode,
  type DnsMode,
  type DnsModeInput,
  type DomainSpec,
  type DomainSpecInput,
  type ExternalDnsInput,
  type ExternalDnsMode,
  type KeyBits,
  type Locale,
  type ResolveOptions,
  type Route53DnsMode,
  type RotationPolicy,
  type RotationPolicyInput,
} from '../functions/core/spec';
export {
  delegatedSlots,
  dkimRecordName,
  domainProblem,
  emailProblem,
  selectorPrefixProblem,
  selectorProblem,
  toALabel,
} from '../functions/core/names';

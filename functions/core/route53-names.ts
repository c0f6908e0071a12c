/**
 * Record names as Route 53's IAM condition key `route53:ChangeResourceRecordSetsNormalizedRecordNames` sees
 * them (docs/design.md §2; Route 53 Developer Guide, "Using IAM policy conditions for fine-grained access
 * control", Normalizing the condition key values): all letters lowercase, no trailing dot, and every
 * character other than a–z, 0–9, `-`, `_` and `.` written as `\` plus its three-digit octal code (`*` is
 * `\052`). The IAM policy the constructs write and its tests use this one function, so a name the policy
 * allows is the name Route 53 compares.
 */

const KEPT = /^[a-z0-9._-]$/;

/**
 * `name` (as given to `ChangeResourceRecordSets`: raw characters, no escapes) normalized: lowercase, without
 * the trailing dot, other characters as `\ooo` (octal, three digits), one escape per UTF-8 byte.
 */
export function normalizeRoute53Name(name: string): string {
  return escapeLowercased(name.replace(/\.$/, ''));
}

function escapeLowercased(text: string): string {
  // ASCII letters only: Route 53 names are ASCII (an IDN is its A-label); other bytes are escaped as they are.
  const lower = text.replace(/[A-Z]/g, (c) => c.toLowerCase());
  let out = '';
  for (const char of lower) {
    if (KEPT.test(char)) {
      out += char;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8')) out += `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/**
 * A pattern for `StringLike` over normalized names: `normalizeRoute53Name` of each literal part, with `*`
 * left as the IAM wildcard (`*._domainkey.example.com` → `*._domainkey.example.com`, whereas the record
 * named `*` itself is `\052`).
 */
export function route53NamePattern(pattern: string): string {
  return pattern
    .replace(/\.$/, '')
    .split('*')
    .map((part) => escapeLowercased(part))
    .join('*');
}

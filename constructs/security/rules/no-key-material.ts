import { COMPLIANT, nonCompliant, type Json, type SecurityRule } from '../types';

const PEM = /-----BEGIN ([A-Z0-9 ]{1,40})-----/;
/** `-----BEGIN` base64-encoded (at each of the three alignments a run can start at). */
const PEM_IN_BASE64 = /LS0tLS1CRUdJT|0tLS0tQkVHSU|tLS0tLUJFR0lO/;
const KEY_FILE = /\b(?:file|filebase64|templatefile)\(\s*"[^"]*\.(?:pem|key|der|p8|p12|pfx)"/i;
const BASE64_RUN = /[A-Za-z0-9+/]{60,}={0,2}/g;

/**
 * What a base64 run decodes to when it is (the start of) a DER structure: a SEQUENCE whose length covers the
 * bytes decoded, holding an INTEGER (a private key's version) or a SEQUENCE (a public key's or certificate's
 * first field). Random base64 of this length is such a structure about once in ten million.
 */
function derKind(run: string): 'a private key' | 'a public key or certificate' | undefined {
  const bytes = Buffer.from(run.slice(0, run.length - (run.length % 4)), 'base64');
  if (bytes.length < 44 || bytes[0] !== 0x30) return undefined;
  let header: number;
  let length: number;
  if (bytes[1] < 0x80) [header, length] = [2, bytes[1]];
  else if (bytes[1] === 0x81) [header, length] = [3, bytes[2]];
  else if (bytes[1] === 0x82) [header, length] = [4, (bytes[2] << 8) | bytes[3]];
  else return undefined;
  // The structure may be cut (a record split in 255-character strings): its length covers at least what is here.
  if (header + length < bytes.length - 2 || header + length > 16384) return undefined;
  if (bytes[header] === 0x02) return 'a private key';
  if (bytes[header] === 0x30) return 'a public key or certificate';
  return undefined;
}

/** What key material a string holds, or undefined. Never returns the material itself. */
export function keyMaterialIn(value: string): string | undefined {
  const pem = PEM.exec(value);
  if (pem) return `a PEM block (BEGIN ${pem[1]})`;
  if (PEM_IN_BASE64.test(value)) return 'a base64-encoded PEM block';
  if (KEY_FILE.test(value)) return 'a key file read into the configuration';
  // DKIM records are written as several quoted strings: join them before looking for a DER run.
  for (const candidate of new Set([value, value.replace(/["\s\\]+/g, '')])) {
    for (const [run] of candidate.matchAll(BASE64_RUN)) {
      const kind = derKind(run);
      if (kind) return `${kind} (base64 DER)`;
    }
  }
  return undefined;
}

/** Every string of a value with its path (`environment.variables.KEY`, `records[0]`); cdktf metadata skipped. */
function* strings(value: Json, path: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, `${path}[${i}]`);
  else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key !== '//') yield* strings(v, path === '' ? key : `${path}.${key}`);
    }
  }
}

export const noKeyMaterial: SecurityRule = {
  id: 'BYODKIM-KEY3',
  name: 'NoKeyMaterial',
  severity: 'error',
  rationale:
    'Whatever the configuration holds ends up in plans, state and CI logs. A private key there is leaked; a ' +
    'DKIM public key there means Terraform manages a record the key manager rotates, and the next apply ' +
    'reverts it. Key material lives in the key store, and records are published by the key manager.',
  check(subject) {
    const reasons: string[] = [];
    for (const [path, value] of strings(subject.config, '')) {
      const found = keyMaterialIn(value);
      if (found) reasons.push(`${path === '' ? 'the value' : path} holds ${found}`);
    }
    return reasons.length === 0 ? COMPLIANT : nonCompliant(...reasons);
  },
};

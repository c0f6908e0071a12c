/**
 * Errors of the DKIM key and record layer. They extend the project's hierarchy (`../errors`) and, like
 * every byodkim error, never carry private key material: messages name formats, sizes and record names
 * only, and no underlying library error (whose text we do not control) is attached as `cause`.
 */
import { ByodkimError, ValidationError, type BilingualText } from '../core/errors';

/** A key size, format or content that SES BYODKIM cannot use, or that could not be read. */
export class KeyError extends ValidationError {}

/**
 * Key generation could not take node-forge's native path (Node's `crypto.generateKeyPairSync`). byodkim
 * refuses rather than fall back to forge's pure-JavaScript prime search, which takes tens of seconds.
 */
export class KeyGenerationError extends ByodkimError {}

/** What is wrong with a DKIM key record's text, in both languages. */
export type RecordProblemKind =
  | 'tag-syntax'
  | 'duplicate-tag'
  | 'version'
  | 'key-type'
  | 'missing-key'
  | 'key-base64'
  | 'key-encoding'
  | 'hash-algorithms'
  | 'service-type';

export interface RecordProblem extends BilingualText {
  readonly kind: RecordProblemKind;
}

/** A DKIM key record (`v=DKIM1; k=rsa; p=…`) that verifiers would reject as malformed. */
export class RecordSyntaxError extends ValidationError {
  constructor(public readonly problem: RecordProblem) {
    super('MALFORMED_DKIM_RECORD', problem.en, 'record');
  }
}

/** DNS could not be asked (network, timeouts everywhere, no name servers found): the check is inconclusive. */
export class DnsLookupError extends ByodkimError {}

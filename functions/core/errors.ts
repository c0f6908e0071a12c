/**
 * The typed error hierarchy shared by the Lambdas and the command line.
 *
 * Every error a user can hit says what was wrong and what to do next. No error message may contain
 * private key material (docs/design.md §4, invariant 6): callers pass names and public values only.
 */

/** A message in the two languages byodkim reports in (DNS-team requests and operators use both). */
export interface BilingualText {
  readonly en: string;
  readonly ja: string;
}

export class ByodkimError extends Error {
  /** A stable machine-readable code, e.g. `INVALID_SELECTOR`. */
  public readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A value given by a user (config, CLI flag, Lambda payload) breaks a rule. */
export class ValidationError extends ByodkimError {
  constructor(
    code: string,
    message: string,
    public readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/**
 * A compare-and-swap write lost: someone else changed the record since it was read (DynamoDB
 * `ConditionalCheckFailedException`). The loser re-reads and decides again; it never retries blindly.
 */
export class ConflictError extends ByodkimError {
  constructor(
    message: string,
    public readonly expectedVersion: number,
    options?: { cause?: unknown },
  ) {
    super('VERSION_CONFLICT', message, options);
  }
}

/**
 * An AWS call failed in a way that says "try again later": throttling, a 5xx, or a timeout (the call may
 * or may not have taken effect). The reconciler backs off and the next run re-reads what is.
 */
export class TransientError extends ByodkimError {
  constructor(
    code: 'THROTTLED' | 'SERVICE_UNAVAILABLE' | 'TIMEOUT',
    message: string,
    public readonly service: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** An AWS call failed for a reason retrying will not fix by itself (not found, access denied, invalid). */
export class ServiceError extends ByodkimError {
  constructor(
    code: string,
    message: string,
    public readonly service: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/**
 * An operator action that cannot be done in the domain's current state. The message says why and what
 * to do instead, in English and Japanese (`messageJa`).
 */
export class RefusedError extends ByodkimError {
  constructor(
    code: string,
    message: string,
    public readonly messageJa: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

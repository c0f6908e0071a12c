/**
 * The typed error hierarchy shared by the Lambdas and the command line.
 *
 * Every error a user can hit says what was wrong and what to do next. No error message may contain
 * private key material (DESIGN.md §4, invariant 6): callers pass names and public values only.
 */
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

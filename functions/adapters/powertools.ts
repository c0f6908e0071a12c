/**
 * Logs and metrics through Powertools for AWS Lambda: {@link PowertoolsLogger} (structured JSON lines) and
 * {@link PowertoolsMetrics} (CloudWatch EMF lines), with the names of functions/core/contract.ts.
 *
 * Metrics: namespace {@link METRIC_NAMESPACE}; every datum carries the `Environment` dimension. A datum of
 * a domain-scope metric (`scope: 'domain'` in METRICS) with a `Domain` dimension is published in two
 * dimension sets, `[Environment, Domain]` and `[Environment]` (the environment-wide aggregate alarms
 * watch); every other datum in `[Environment]` only — its `Domain` is left out of the metric (a custom
 * metric per domain costs ~$0.30 a month) and stays in the caller's structured log line. Powertools' own
 * `service` dimension is left out: an alarm names exact dimension sets, and the contract has none called
 * `service`.
 *
 * An unknown metric name, a unit other than the contract's, or a dimension the contract does not name is a
 * programming error: outside Lambda (tests, the CLI, a bundle run by hand) `emit` throws; in Lambda
 * (`AWS_LAMBDA_FUNCTION_NAME` set) the datum is dropped and an error logged, because the port says a metric
 * cannot fail a run. `onInvalid` overrides the choice.
 *
 * Logs: defence in depth for invariant 6 (no key material anywhere). Every string in a log line's fields
 * is scanned: one that holds a PEM marker is replaced whole, long base64 runs (key material, DER) are
 * replaced, and fields named like a secret (`privateKey`, `SecretString`, …) are replaced whatever they
 * hold. The engine never logs keys; this catches the day a caller does.
 */
import { Logger as PowertoolsLoggerImpl } from '@aws-lambda-powertools/logger';
import { Metrics as PowertoolsMetricsImpl, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS, METRIC_DIMENSIONS, METRIC_NAMESPACE, type MetricDefinition } from '../core/contract';
import { ValidationError } from '../core/errors';
import type { Logger, MetricDatum, Metrics } from '../lifecycle/ports';

/** Powertools' service name (the `service` key of every log line) unless `POWERTOOLS_SERVICE_NAME` says otherwise. */
export const DEFAULT_SERVICE_NAME = 'byodkim';

const REDACTED = '[REDACTED]';
const PEM_MARKER = /-----(BEGIN|END)[ A-Z0-9]*-----/;
/** 40+ base64 characters with upper case, lower case and a digit: key material, not a word, hash or id. */
const BASE64_RUN = /[A-Za-z0-9+/]{40,}={0,2}/g;
const SECRET_FIELD = /^(private_?key|domain_?signing_?private_?key|secret_?string|secret_?binary|secret|password)$/i;
const MAX_DEPTH = 8;

function looksLikeKeyMaterial(run: string): boolean {
  return /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run);
}

/** A string with key material replaced: wholly when it holds a PEM marker, else each long base64 run. */
export function redactText(text: string): string {
  if (PEM_MARKER.test(text)) return `${REDACTED} (PEM)`;
  return text.replace(BASE64_RUN, (run) =>
    looksLikeKeyMaterial(run) ? `${REDACTED} (base64, ${run.length} chars)` : run,
  );
}

/** Log fields with key material replaced (a copy; errors become `{ name, code, message }`). */
export function redactFields(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      ...(typeof code === 'string' ? { code } : {}),
      message: redactText(value.message),
    };
  }
  if (Array.isArray(value)) return value.map((item) => redactFields(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_FIELD.test(key) && item !== undefined && item !== null ? REDACTED : redactFields(item, depth + 1);
  }
  return out;
}

/** Keys Powertools reserves in a log line (it would drop them): a field of that name is logged as `field_<name>`. */
const RESERVED_LOG_KEYS = new Set(['level', 'message', 'sampling_rate', 'service', 'timestamp', 'environment']);

export interface PowertoolsLoggerOptions {
  /** `dev`, `stg`, `prod`: the `environment` key of every line. */
  readonly environment: string;
  readonly serviceName?: string;
  /** A Powertools logger to write through (the handler's, with its Lambda context). */
  readonly logger?: PowertoolsLoggerImpl;
}

/** The {@link Logger} port as Powertools JSON lines: `message` is the event, the fields are top-level keys. */
export class PowertoolsLogger implements Logger {
  readonly powertools: PowertoolsLoggerImpl;

  constructor(options: PowertoolsLoggerOptions) {
    this.powertools =
      options.logger ??
      new PowertoolsLoggerImpl({
        serviceName: options.serviceName ?? process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME,
        persistentKeys: { environment: options.environment },
      });
  }

  log(level: 'info' | 'warn' | 'error', event: string, fields: Readonly<Record<string, unknown>>): void {
    const safe = redactFields(fields) as Record<string, unknown>;
    const extra: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(safe)) {
      extra[RESERVED_LOG_KEYS.has(key) ? `field_${key}` : key] = value;
    }
    this.powertools[level](redactText(event), extra);
  }
}

/** What {@link PowertoolsMetrics} does with a datum the contract does not define. */
export type InvalidMetricHandling = 'throw' | 'drop';

export interface PowertoolsMetricsOptions {
  /** The `Environment` dimension of every datum. */
  readonly environment: string;
  readonly serviceName?: string;
  /** @default 'drop' in Lambda (`AWS_LAMBDA_FUNCTION_NAME` set), 'throw' elsewhere */
  readonly onInvalid?: InvalidMetricHandling;
  /** Where a dropped datum is reported. @default a {@link PowertoolsLogger} */
  readonly logger?: Logger;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A datum the contract does not define (name, unit or dimension). */
export class InvalidMetricError extends ValidationError {
  constructor(message: string, field: string) {
    super('INVALID_METRIC', message, field);
  }
}

const DEFINITIONS: ReadonlyMap<string, MetricDefinition> = new Map(
  Object.values(METRICS).map((definition) => [definition.name, definition]),
);
const UNITS: Record<MetricDatum['unit'], (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  None: MetricUnit.NoUnit,
  Seconds: MetricUnit.Seconds,
};
/** Powertools publishes by itself at 100 values of one metric (and then forgets the dimensions): stay below. */
const MAX_BUFFERED_PER_GROUP = 90;

interface Group {
  readonly domain: string | undefined;
  readonly data: MetricDatum[];
}

/**
 * The {@link Metrics} port as EMF: `emit` checks the datum against the contract and buffers it; `flush`
 * (the handler calls it before returning) writes one EMF line per dimension set.
 */
export class PowertoolsMetrics implements Metrics {
  readonly powertools: PowertoolsMetricsImpl;
  readonly environment: string;
  private readonly onInvalid: InvalidMetricHandling;
  private readonly logger: Logger;
  private readonly groups = new Map<string, Group>();
  /** Data dropped as invalid (in Lambda). */
  dropped = 0;

  constructor(options: PowertoolsMetricsOptions) {
    const env = options.env ?? process.env;
    this.environment = options.environment;
    this.onInvalid = options.onInvalid ?? (env.AWS_LAMBDA_FUNCTION_NAME ? 'drop' : 'throw');
    this.logger = options.logger ?? new PowertoolsLogger({ environment: options.environment });
    this.powertools = new PowertoolsMetricsImpl({
      namespace: METRIC_NAMESPACE,
      serviceName: options.serviceName ?? env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME,
    });
    // Powertools adds a `service` dimension by default; the contract's dimension sets have none.
    this.powertools.clearDefaultDimensions();
    this.powertools.setDefaultDimensions({ [METRIC_DIMENSIONS.environment]: options.environment });
  }

  emit(datum: MetricDatum): void {
    const problem = this.problem(datum);
    if (problem !== undefined) {
      if (this.onInvalid === 'throw') throw new InvalidMetricError(problem.message, problem.field);
      this.dropped += 1;
      this.logger.log('error', 'metrics.invalid-datum', { metric: datum.name, problem: problem.message });
      return;
    }
    const perDomain = DEFINITIONS.get(datum.name)!.scope === 'domain';
    const domain = perDomain ? datum.dimensions[METRIC_DIMENSIONS.domain] : undefined;
    const key = domain ?? '';
    const group = this.groups.get(key) ?? { domain, data: [] };
    this.groups.set(key, group);
    group.data.push(datum);
    if (group.data.length >= MAX_BUFFERED_PER_GROUP) this.publish(key, group);
  }

  /** Writes every buffered datum (one EMF line per domain of domain-scope data, one for the environment's). */
  flush(): void {
    for (const [key, group] of [...this.groups]) this.publish(key, group);
  }

  private publish(key: string, group: Group): void {
    this.groups.delete(key);
    if (group.data.length === 0) return;
    if (group.domain !== undefined) {
      this.powertools.addDimensions({ [METRIC_DIMENSIONS.domain]: group.domain });
      this.powertools.addDimensions({});
    }
    for (const datum of group.data) {
      this.powertools.addMetric(datum.name, UNITS[datum.unit], datum.value);
    }
    this.powertools.publishStoredMetrics();
  }

  private problem(datum: MetricDatum): { message: string; field: string } | undefined {
    const definition = DEFINITIONS.get(datum.name);
    if (definition === undefined) {
      return {
        field: 'name',
        message: `metric ${JSON.stringify(datum.name)} is not in functions/core/contract.ts METRICS (known: ${[...DEFINITIONS.keys()].join(', ')})`,
      };
    }
    if (definition.unit !== datum.unit) {
      return {
        field: 'unit',
        message: `metric ${datum.name} has unit ${definition.unit} in the contract; given ${datum.unit}`,
      };
    }
    if (typeof datum.value !== 'number' || !Number.isFinite(datum.value)) {
      return {
        field: 'value',
        message: `metric ${datum.name}: the value must be a finite number; given ${String(datum.value)}`,
      };
    }
    for (const [name, value] of Object.entries(datum.dimensions)) {
      if (name === METRIC_DIMENSIONS.environment) {
        if (value !== this.environment) {
          return {
            field: 'dimensions',
            message: `metric ${datum.name}: Environment is ${this.environment} for this function; given ${value}`,
          };
        }
      } else if (name !== METRIC_DIMENSIONS.domain) {
        return {
          field: 'dimensions',
          message: `metric ${datum.name}: dimension ${name} is not in the contract (${Object.values(METRIC_DIMENSIONS).join(', ')})`,
        };
      } else if (typeof value !== 'string' || value.length === 0) {
        return {
          field: 'dimensions',
          message: `metric ${datum.name}: the Domain dimension must be a domain name; given ${String(value)}`,
        };
      }
    }
    return undefined;
  }
}

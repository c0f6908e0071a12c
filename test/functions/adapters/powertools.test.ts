import {
  InvalidMetricError,
  PowertoolsLogger,
  PowertoolsMetrics,
  redactText,
} from '../../../functions/adapters/powertools';
import { METRICS, METRIC_DIMENSIONS, METRIC_NAMESPACE } from '../../../functions/core/contract';
import { ServiceError } from '../../../functions/core/errors';
import { MemoryLogger } from '../../../functions/memory/services';

/** A PEM-looking private key and its base64 DER body: made-up bytes, shaped like the real thing. */
const DER_BASE64 = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37 + 11) % 256)).toString('base64');
const PEM = `-----BEGIN RSA PRIVATE KEY-----\n${DER_BASE64.match(/.{1,64}/g)!.join('\n')}\n-----END RSA PRIVATE KEY-----\n`;

/** Everything written to stdout and stderr (Powertools writes warnings and errors there) while `run` runs, as JSON lines. */
function captureStdout(run: () => void): Record<string, unknown>[] {
  const chunks: string[] = [];
  const record = (chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(record),
    jest.spyOn(process.stderr, 'write').mockImplementation(record),
  ];
  try {
    run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return chunks
    .join('')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

interface Emf {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

describe('PowertoolsMetrics: EMF on stdout with the contract’s names', () => {
  const env = { POWERTOOLS_DEV: undefined };

  it('writes one EMF line per domain of domain-scope metrics at flush: namespace, [Environment, Domain] and [Environment], units', () => {
    const metrics = new PowertoolsMetrics({ environment: 'prod', env });
    const lines = captureStdout(() => {
      metrics.emit({ name: METRICS.dkimHealthy.name, unit: 'None', value: 1, dimensions: { Domain: 'example.com' } });
      metrics.emit({ name: METRICS.keyAgeDays.name, unit: 'None', value: 42.5, dimensions: { Domain: 'example.com' } });
      metrics.emit({ name: METRICS.dkimHealthy.name, unit: 'None', value: 0, dimensions: { Domain: 'example.org' } });
      metrics.emit({ name: METRICS.monitorRuns.name, unit: 'Count', value: 1, dimensions: {} });
      expect(process.stdout.write).not.toHaveBeenCalled();
      metrics.flush();
      metrics.flush();
    }) as unknown as Emf[];

    expect(lines).toHaveLength(3);
    const [com, org, environmentOnly] = lines;
    expect(com!._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRIC_NAMESPACE,
        Dimensions: [[METRIC_DIMENSIONS.environment, METRIC_DIMENSIONS.domain], [METRIC_DIMENSIONS.environment]],
        Metrics: [
          { Name: 'DkimHealthy', Unit: 'None' },
          { Name: 'KeyAgeDays', Unit: 'None' },
        ],
      },
    ]);
    expect(com).toMatchObject({ Environment: 'prod', Domain: 'example.com', DkimHealthy: 1, KeyAgeDays: 42.5 });
    expect(com).not.toHaveProperty('service');
    expect(org).toMatchObject({ Domain: 'example.org', DkimHealthy: 0 });
    expect(environmentOnly!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['Environment']]);
    expect(environmentOnly).toMatchObject({ Environment: 'prod', MonitorRuns: 1 });
    expect(environmentOnly).not.toHaveProperty('Domain');
    expect(typeof environmentOnly!._aws.Timestamp).toBe('number');
  });

  it('publishes an environment-scope metric with [Environment] only, even when the datum names a Domain', () => {
    const metrics = new PowertoolsMetrics({ environment: 'prod', env });
    const lines = captureStdout(() => {
      for (const domain of ['a.example', 'b.example', 'c.example']) {
        metrics.emit({ name: METRICS.runsCompleted.name, unit: 'Count', value: 1, dimensions: { Domain: domain } });
      }
      metrics.emit({ name: METRICS.actionFailures.name, unit: 'Count', value: 1, dimensions: { Domain: 'b.example' } });
      metrics.emit({ name: METRICS.keyAgeDays.name, unit: 'None', value: 3, dimensions: { Domain: 'c.example' } });
      metrics.flush();
    }) as unknown as Emf[];
    const environmentLines = lines.filter((line) => line.Domain === undefined);
    expect(environmentLines).toHaveLength(1);
    expect(environmentLines[0]!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['Environment']]);
    expect(environmentLines[0]).toMatchObject({ Environment: 'prod', RunsCompleted: [1, 1, 1], ActionFailures: 1 });
    const domainLines = lines.filter((line) => line.Domain !== undefined);
    expect(
      domainLines.map((line) => [line.Domain, line._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name)]),
    ).toEqual([['c.example', ['KeyAgeDays']]]);
  });

  it('gives at most two metrics the domain scope (each domain is a custom metric of its own)', () => {
    const perDomain = Object.values(METRICS).filter((definition) => definition.scope === 'domain');
    expect(perDomain.map((definition) => definition.name).sort()).toEqual(['DkimHealthy', 'KeyAgeDays']);
  });

  it('outside Lambda, a metric the contract does not define throws (name, unit, dimension, value)', () => {
    const metrics = new PowertoolsMetrics({ environment: 'dev', env });
    const bad = [
      { name: 'RunsCompletd', unit: 'Count', value: 1, dimensions: {} },
      { name: 'KeyAgeDays', unit: 'Seconds', value: 1, dimensions: {} },
      { name: 'RunsCompleted', unit: 'Count', value: 1, dimensions: { Region: 'ap-northeast-1' } },
      { name: 'RunsCompleted', unit: 'Count', value: 1, dimensions: { Environment: 'prod' } },
      { name: 'RunsCompleted', unit: 'Count', value: Number.NaN, dimensions: {} },
    ] as const;
    for (const datum of bad) expect(() => metrics.emit(datum)).toThrow(InvalidMetricError);
    expect(() => metrics.emit(bad[0])).toThrow(/"RunsCompletd" is not in functions\/core\/contract.ts METRICS/);
    expect(captureStdout(() => metrics.flush())).toEqual([]);
  });

  it('in Lambda, it is dropped and logged instead: a metric never fails a run', () => {
    const logger = new MemoryLogger();
    const metrics = new PowertoolsMetrics({ environment: 'prod', logger, env: { AWS_LAMBDA_FUNCTION_NAME: 'worker' } });
    const lines = captureStdout(() => {
      metrics.emit({ name: 'Bogus', unit: 'Count', value: 1, dimensions: {} });
      metrics.emit({ name: 'RunsCompleted', unit: 'Count', value: 1, dimensions: { Domain: 'example.com' } });
      metrics.flush();
    }) as unknown as Emf[];
    expect(metrics.dropped).toBe(1);
    expect(logger.lines).toEqual([
      {
        level: 'error',
        event: 'metrics.invalid-datum',
        fields: { metric: 'Bogus', problem: expect.stringContaining('Bogus') },
      },
    ]);
    expect(lines.map((l) => l._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name))).toEqual([['RunsCompleted']]);
  });

  it('many data points of one domain stay in their dimension sets (Powertools publishes at 100 values by itself)', () => {
    const metrics = new PowertoolsMetrics({ environment: 'dev', env });
    const lines = captureStdout(() => {
      for (let i = 0; i < 200; i++) {
        metrics.emit({ name: 'KeyAgeDays', unit: 'None', value: i, dimensions: { Domain: 'example.com' } });
      }
      metrics.flush();
    }) as unknown as Emf[];
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) {
      expect(line._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['Environment', 'Domain'], ['Environment']]);
      expect(line.Domain).toBe('example.com');
    }
    expect(lines.flatMap((l) => l.KeyAgeDays as number[])).toHaveLength(200);
  });
});

describe('PowertoolsLogger: JSON lines, key material redacted', () => {
  it('writes the event as message and the fields as keys, with the environment', () => {
    const logger = new PowertoolsLogger({ environment: 'stg' });
    const [line, ...more] = captureStdout(() =>
      logger.log('warn', 'lifecycle.conflict', { domain: 'example.com', expectedVersion: 4, message: 'kept' }),
    );
    expect(more).toEqual([]);
    expect(line).toMatchObject({
      level: 'WARN',
      message: 'lifecycle.conflict',
      service: 'byodkim',
      environment: 'stg',
      domain: 'example.com',
      expectedVersion: 4,
      field_message: 'kept',
    });
  });

  it('redacts a field that looks like key material: PEM, a long base64 run, a secret-named field, an error message', () => {
    const logger = new PowertoolsLogger({ environment: 'prod' });
    const lines = captureStdout(() => {
      logger.log('error', 'oops', {
        domain: 'example.com',
        pem: PEM,
        nested: { values: [`p=${DER_BASE64}`, 'v=DKIM1; k=rsa; p='] },
        privateKey: 'short',
        error: new ServiceError('INVALID_REQUEST', `SES refused key ${DER_BASE64}`, 'SES'),
        selector: 'byodkim-prod-20261201-1',
        changeId: 'C0123456789ABCDEFGHIJ',
        secretName: 'byodkim/prod/example.com/byodkim-prod-20261201-1',
        hash: 'a'.repeat(64),
      });
    });
    const text = JSON.stringify(lines);
    expect(text).not.toContain('BEGIN RSA PRIVATE KEY');
    expect(text).not.toContain(DER_BASE64.slice(0, 40));
    expect(text).not.toContain(DER_BASE64.slice(-40, -2));
    expect(lines[0]).toMatchObject({
      pem: '[REDACTED] (PEM)',
      nested: { values: [`p=[REDACTED] (base64, ${DER_BASE64.length} chars)`, 'v=DKIM1; k=rsa; p='] },
      privateKey: '[REDACTED]',
      error: {
        name: 'ServiceError',
        code: 'INVALID_REQUEST',
        message: expect.stringMatching(/^SES refused key \[REDACTED\]/),
      },
      // Names, ids and hex digests stay readable.
      selector: 'byodkim-prod-20261201-1',
      changeId: 'C0123456789ABCDEFGHIJ',
      secretName: 'byodkim/prod/example.com/byodkim-prod-20261201-1',
      hash: 'a'.repeat(64),
    });
  });

  it('redactText leaves prose and short tokens alone', () => {
    expect(redactText('The record at byodkim-20261201-1._domainkey.example.com is missing')).toBe(
      'The record at byodkim-20261201-1._domainkey.example.com is missing',
    );
  });
});

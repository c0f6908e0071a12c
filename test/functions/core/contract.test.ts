import {
  LAMBDA_ENV,
  LambdaConfigurationError,
  METRICS,
  METRIC_DIMENSIONS,
  METRIC_NAMESPACE,
  PayloadError,
  POWERTOOLS_ENV,
  STATE_TABLE,
  heartbeatItem,
  parseWorkerPayload,
  readLambdaEnvironment,
  reportItem,
  reportSortKey,
} from '../../../functions/core/contract';

describe('contract: worker payloads', () => {
  it('reads the planner’s message for one domain', () => {
    expect(
      parseWorkerPayload({ kind: 'reconcile', domain: 'example.com', enqueuedAt: '2026-12-01T00:00:00.000Z' }),
    ).toEqual({ kind: 'reconcile', domain: 'example.com', enqueuedAt: '2026-12-01T00:00:00.000Z' });
  });

  it('reads the operations team’s `aws lambda invoke` payload without a kind as an operator request', () => {
    expect(parseWorkerPayload({ action: 'status', domain: 'example.com' })).toEqual({
      kind: 'operator',
      action: 'status',
      domain: 'example.com',
    });
  });

  it('keeps the selector of a revoke and the actor', () => {
    expect(
      parseWorkerPayload({
        kind: 'operator',
        action: 'revoke',
        domain: 'example.com',
        selector: 'mail-1',
        actor: 'alice',
      }),
    ).toEqual({ kind: 'operator', action: 'revoke', domain: 'example.com', selector: 'mail-1', actor: 'alice' });
  });

  it.each([
    ['a string instead of an object', '"rotate"', 'payload', 'a JSON object'],
    ['an array', [], 'payload', 'a JSON object'],
    ['null', null, 'payload', 'a JSON object'],
    ['neither kind nor action', { domain: 'example.com' }, 'kind', '"reconcile" or "operator"'],
    ['an unknown kind', { kind: 'delete', domain: 'example.com' }, 'kind', '"reconcile" or "operator"'],
    ['an unknown action', { action: 'destroy', domain: 'example.com' }, 'action', 'one of reconcile, status'],
    ['a missing domain', { action: 'rotate' }, 'domain', 'a domain name as an A-label'],
    ['a Unicode domain', { action: 'rotate', domain: '例え.jp' }, 'domain', 'a domain name as an A-label'],
    ['a domain with an empty label', { action: 'rotate', domain: 'example..com' }, 'domain', 'a domain name'],
    [
      'a selector with a dot',
      { action: 'revoke', domain: 'example.com', selector: 'a.b' },
      'selector',
      'an SES selector',
    ],
    [
      'a revoke without a selector',
      { action: 'revoke', domain: 'example.com' },
      'selector',
      'the selector of the compromised key',
    ],
    [
      'an actor with a newline',
      { action: 'rotate', domain: 'example.com', actor: 'a\nb' },
      'actor',
      '1-128 printable ASCII',
    ],
    ['an unknown field', { action: 'rotate', domain: 'example.com', force: true }, 'force', 'absent (known fields'],
    ['a reconcile without its time', { kind: 'reconcile', domain: 'example.com' }, 'enqueuedAt', 'an ISO 8601 time'],
    [
      'a reconcile with an unparsable time',
      { kind: 'reconcile', domain: 'example.com', enqueuedAt: 'yesterday' },
      'enqueuedAt',
      'an ISO 8601 time',
    ],
  ])(
    'refuses %s with a PayloadError naming the field, the expected and the given value',
    (_name, payload, fieldName, expected) => {
      let error: unknown;
      try {
        parseWorkerPayload(payload);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(PayloadError);
      const payloadError = error as PayloadError;
      expect(payloadError.field).toBe(fieldName);
      expect(payloadError.code).toBe('INVALID_PAYLOAD');
      expect(payloadError.message).toContain(`${fieldName} must be ${expected}`);
      expect(payloadError.message).toMatch(/; given /);
      expect(payloadError.stack).toBeDefined();
      expect(payloadError.message).not.toContain('\n    at ');
    },
  );

  it('shortens a huge given value', () => {
    expect(() => parseWorkerPayload({ action: 'x'.repeat(10_000), domain: 'example.com' })).toThrow(
      /given "x{70,80}\.\.\.$/,
    );
  });
});

describe('contract: Lambda environment', () => {
  const full = {
    BYODKIM_ENVIRONMENT: 'prod',
    BYODKIM_STATE_TABLE: 'byodkim-prod-state',
    BYODKIM_SECRET_PREFIX: 'byodkim/prod',
  };

  it('reads the variables a handler names', () => {
    expect(readLambdaEnvironment(full, ['environment', 'stateTable'])).toEqual({
      environment: 'prod',
      stateTable: 'byodkim-prod-state',
    });
  });

  it('lists every missing or empty variable in one error', () => {
    let error: unknown;
    try {
      readLambdaEnvironment({ ...full, BYODKIM_STATE_TABLE: '' }, ['environment', 'stateTable', 'operatorTopicArn']);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LambdaConfigurationError);
    expect((error as LambdaConfigurationError).missing).toEqual(['BYODKIM_STATE_TABLE', 'BYODKIM_OPERATOR_TOPIC_ARN']);
    expect((error as Error).message).toContain('deploy it with its byodkim construct');
  });

  it('names every variable once, in the BYODKIM_ namespace (Lambda allows letters, digits and underscores)', () => {
    const names = Object.values(LAMBDA_ENV);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^BYODKIM_[A-Z][A-Z0-9_]*$/);
    for (const name of Object.values(POWERTOOLS_ENV)) expect(name).toMatch(/^POWERTOOLS_[A-Z_]+$/);
  });
});

describe('contract: metrics', () => {
  it('names every metric once, in CloudWatch’s limits (ASCII, at most 255 characters)', () => {
    const names = Object.values(METRICS).map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[A-Za-z][A-Za-z0-9]{0,254}$/);
    expect(METRIC_NAMESPACE).toMatch(/^[A-Za-z0-9./_#:-]{1,255}$/);
    expect(Object.values(METRIC_DIMENSIONS)).toEqual(['Environment', 'Domain']);
  });
});

describe('contract: monitoring items of the state table', () => {
  it('writes the key manager’s heartbeat in the domain’s partition', () => {
    expect(heartbeatItem('example.com', '2026-12-01T00:00:00.000Z', 'done')).toEqual({
      pk: { S: 'DOMAIN#example.com' },
      sk: { S: STATE_TABLE.heartbeatSortKey },
      domain: { S: 'example.com' },
      lastRunAt: { S: '2026-12-01T00:00:00.000Z' },
      outcome: { S: 'done' },
    });
  });

  it('keys the monthly report by month under pk REPORT, and refuses a month that is not one', () => {
    expect(reportSortKey(2026, 1)).toBe('2026-01');
    expect(reportItem(2026, 12, '{}', '2026-12-01T00:00:00.000Z')).toEqual({
      pk: { S: 'REPORT' },
      sk: { S: '2026-12' },
      report: { S: '{}' },
      generatedAt: { S: '2026-12-01T00:00:00.000Z' },
    });
    expect(() => reportSortKey(2026, 13)).toThrow(/a report month is a year and a month 1-12; given 2026-13/);
    expect(() => reportSortKey(2026.5, 1)).toThrow(/INVALID|report month/);
  });
});

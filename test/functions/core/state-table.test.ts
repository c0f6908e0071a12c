import {
  STATE_TABLE,
  domainPartitionKey,
  eventSortKey,
  specItem,
  toDynamoDbJson,
} from '../../../functions/core/contract';
import { ValidationError } from '../../../functions/core/errors';
import { resolveDomainSpec, type DomainSpec } from '../../../functions/core/spec';

describe('contract: the state table', () => {
  it('keys one partition per domain; events sort by version, a second event of a version right after the first', () => {
    expect(domainPartitionKey('example.com')).toBe('DOMAIN#example.com');
    expect(eventSortKey(42)).toBe('EVENT#000000000042');
    expect(eventSortKey(42, 1)).toBe('EVENT#000000000042#1');
    const keys = [eventSortKey(10), eventSortKey(9, 1), eventSortKey(9), eventSortKey(100), eventSortKey(10, 2)];
    expect([...keys].sort()).toEqual([
      'EVENT#000000000009',
      'EVENT#000000000009#1',
      'EVENT#000000000010',
      'EVENT#000000000010#2',
      'EVENT#000000000100',
    ]);
    expect(STATE_TABLE.kindIndex).toEqual({ name: 'kind-index', partitionKey: 'kind', sortKey: 'domain' });
    expect(STATE_TABLE.ttlAttribute).toBe('expiresAt');
  });

  it('specItem is the exact DynamoDB JSON item Terraform writes: keys, kind, domain, format, the resolved spec as a map', () => {
    const spec = resolveDomainSpec(
      { domain: 'example.com', dns: { kind: 'route53', hostedZoneId: 'Z0123456789ABCDEFGHIJ' } },
      { selectorPrefix: 'byodkim-prod' },
    );
    expect(specItem(spec)).toEqual({
      pk: { S: 'DOMAIN#example.com' },
      sk: { S: 'SPEC' },
      kind: { S: 'SPEC' },
      domain: { S: 'example.com' },
      specFormat: { N: '1' },
      spec: {
        M: {
          domain: { S: 'example.com' },
          selectorPrefix: { S: 'byodkim-prod' },
          keyBits: { N: '2048' },
          dns: { M: { kind: { S: 'route53' }, hostedZoneId: { S: 'Z0123456789ABCDEFGHIJ' } } },
          rotation: {
            M: {
              intervalDays: { N: '180' },
              renewBeforeDays: { N: '30' },
              graceDays: { N: '7' },
              activation: { S: 'auto' },
            },
          },
        },
      },
    });
  });

  it('is deterministic and leaves out what is not a DomainSpec field; lists stay lists', () => {
    const spec = resolveDomainSpec(
      { domain: 'example.com', dns: { kind: 'external', contacts: ['a@example.net', 'b@example.net'] } },
      { selectorPrefix: 'byodkim-dev' },
    );
    const withExtra = { ...spec, note: 'not a field' } as DomainSpec;
    expect(JSON.stringify(specItem(withExtra))).toBe(JSON.stringify(specItem(spec)));
    const dns = (specItem(spec).spec as { M: Record<string, { M: Record<string, unknown> }> }).M.dns!.M;
    expect(dns.contacts).toEqual({ L: [{ S: 'a@example.net' }, { S: 'b@example.net' }] });
  });

  it('toDynamoDbJson takes plain JSON data and refuses what DynamoDB cannot hold', () => {
    expect(toDynamoDbJson({ a: null, b: true, c: [1, 'x'], d: undefined })).toEqual({
      M: { a: { NULL: true }, b: { BOOL: true }, c: { L: [{ N: '1' }, { S: 'x' }] } },
    });
    expect(() => toDynamoDbJson({ rotation: { intervalDays: Number.NaN } }, 'spec')).toThrow(ValidationError);
    expect(() => toDynamoDbJson({ rotation: { intervalDays: Infinity } }, 'spec')).toThrow(
      'spec.rotation.intervalDays is not a finite number',
    );
    expect(() => toDynamoDbJson({ f: () => 1 })).toThrow(/value\.f cannot be stored in DynamoDB \(function\)/);
  });
});

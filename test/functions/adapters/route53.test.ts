/**
 * The Route 53 adapter against moto_server: the exact record Route 53 holds after an UPSERT of a
 * 410-character DKIM value (ONE record, two quoted strings), a value replaced, quotes and backslashes
 * escaped, a delegated zone found by name (public, unique, cached), GetChange, DELETE; and, with
 * aws-sdk-client-mock, PriorRequestNotComplete and Throttling as TransientError.
 */
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  GetChangeCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  Route53ServiceException,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { ServiceError, TransientError, ValidationError } from '../../../functions/core/errors';
import { awsClientConfig } from '../../../functions/adapters/aws-errors';
import { CHANGE_COMMENT, Route53ZoneWriter, route53TxtValue } from '../../../functions/adapters/route53';
import { generateKeyPair } from '../../../functions/dkim/keys';
import { formatRecordValue, splitIntoStrings } from '../../../functions/dkim/record';
import { startMoto, type Moto } from '../../support/moto';

const publicKey = generateKeyPair({ bits: 2048 }).publicKey;
const value = formatRecordValue(publicKey);
const NAME = 'mail-prod-20250907-1._domainkey.example.com';

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('Route53ZoneWriter against moto', () => {
  let moto: Moto;
  let client: Route53Client;
  let writer: Route53ZoneWriter;

  async function createZone(name: string, reference = name, vpc = false): Promise<string> {
    const answer = await client.send(
      new CreateHostedZoneCommand({
        Name: name,
        CallerReference: `${reference}-${Math.random()}`,
        ...(vpc
          ? { VPC: { VPCRegion: 'ap-northeast-1', VPCId: 'vpc-12345678' }, HostedZoneConfig: { PrivateZone: true } }
          : {}),
      }),
    );
    return answer.HostedZone!.Id!.replace('/hostedzone/', '');
  }

  async function txtRecords(zoneId: string) {
    const answer = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    return (answer.ResourceRecordSets ?? []).filter((r) => r.Type === 'TXT');
  }

  beforeAll(async () => {
    moto = await startMoto();
    client = new Route53Client(moto.clientConfig);
  });
  beforeEach(() => {
    writer = new Route53ZoneWriter({ client });
  });
  afterEach(async () => moto.reset());
  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  it('UPSERTs a 410-character value as ONE record of two quoted strings, exactly', async () => {
    expect(value).toHaveLength(410);
    const zoneId = await createZone('example.com');
    const strings = splitIntoStrings(value);
    expect(strings.map((s) => s.length)).toEqual([255, 155]);
    const { changeId } = await writer.upsertTxt(zoneId, NAME, strings, 300);
    expect(changeId).toMatch(/^[A-Za-z0-9]+$/);
    expect(await txtRecords(zoneId)).toEqual([
      {
        Name: `${NAME}.`,
        Type: 'TXT',
        TTL: 300,
        ResourceRecords: [{ Value: `"${value.slice(0, 255)}" "${value.slice(255)}"` }],
      },
    ]);
  });

  it('an UPSERT replaces the value: still one record, the new strings only', async () => {
    const zoneId = await createZone('example.com');
    await writer.upsertTxt(zoneId, NAME, splitIntoStrings(value), 300);
    await writer.upsertTxt(zoneId, NAME, ['v=DKIM1; p='], 600);
    expect(await txtRecords(zoneId)).toEqual([
      { Name: `${NAME}.`, Type: 'TXT', TTL: 600, ResourceRecords: [{ Value: '"v=DKIM1; p="' }] },
    ]);
  });

  it('escapes quotes and backslashes inside a string', async () => {
    const zoneId = await createZone('example.com');
    await writer.upsertTxt(`/hostedzone/${zoneId}`, NAME, ['say "hi" \\ bye'], 60);
    expect((await txtRecords(zoneId))[0]!.ResourceRecords).toEqual([{ Value: '"say \\"hi\\" \\\\ bye"' }]);
  });

  it('sends UPSERT of one TXT record with the byodkim comment', async () => {
    const zoneId = await createZone('example.com');
    const send = jest.spyOn(client, 'send');
    try {
      await writer.upsertTxt(zoneId, NAME, ['a', 'b'], 300);
      const command = send.mock.calls.map((c) => c[0]).find((c) => c instanceof ChangeResourceRecordSetsCommand);
      expect(command?.input).toEqual({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Comment: CHANGE_COMMENT,
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: { Name: NAME, Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"a" "b"' }] },
            },
          ],
        },
      });
    } finally {
      send.mockRestore();
    }
  });

  it('delegated mode: finds the zone by name (trailing dot or not, any case), once, and writes there', async () => {
    await createZone('example.org');
    const zoneId = await createZone('dkim.example.com');
    const send = jest.spyOn(client, 'send');
    try {
      const name = 'byodkim1._domainkey.dkim.example.com';
      await writer.upsertTxt('dkim.example.com', name, splitIntoStrings(value), 300);
      await writer.upsertTxt('DKIM.example.com.', name, ['v=DKIM1; p='], 300);
      const lookups = send.mock.calls.filter((c) => c[0] instanceof ListHostedZonesByNameCommand);
      expect(lookups).toHaveLength(1);
      expect(await writer.resolveZone('dkim.example.com')).toBe(zoneId);
      expect(await txtRecords(zoneId)).toEqual([
        { Name: `${name}.`, Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"v=DKIM1; p="' }] },
      ]);
    } finally {
      send.mockRestore();
    }
  });

  it('refuses a zone name that is missing, private, or shared by two public zones', async () => {
    expect(await caught(writer.resolveZone('nowhere.example'))).toMatchObject({
      code: 'NOT_FOUND',
      service: 'Route 53',
    });
    await createZone('internal.example.com', 'private', true);
    const privateOnly = await caught(writer.resolveZone('internal.example.com'));
    expect(privateOnly).toBeInstanceOf(ServiceError);
    expect(privateOnly).toMatchObject({ code: 'ZONE_PRIVATE' });
    const a = await createZone('twice.example.com', 'one');
    const b = await createZone('twice.example.com', 'two');
    const ambiguous = await caught(writer.upsertTxt('twice.example.com', `x._domainkey.twice.example.com`, ['v'], 60));
    expect(ambiguous).toMatchObject({ code: 'ZONE_AMBIGUOUS' });
    expect(ambiguous.message).toContain(a);
    expect(ambiguous.message).toContain(b);
  });

  it('a public zone beside a private one of the same name is the one used', async () => {
    await createZone('split.example.com', 'private', true);
    const pub = await createZone('split.example.com', 'public');
    expect(await writer.resolveZone('split.example.com')).toBe(pub);
  });

  it('GetChange: the change id from the UPSERT, with or without /change/', async () => {
    const zoneId = await createZone('example.com');
    const { changeId } = await writer.upsertTxt(zoneId, NAME, ['v=DKIM1; p='], 300);
    expect(await writer.getChange(changeId)).toBe('INSYNC');
    expect(await writer.getChange(`/change/${changeId}`)).toBe('INSYNC');
  });

  it('deleteTxt removes the record exactly as held, and a second delete finds nothing', async () => {
    const zoneId = await createZone('example.com');
    await writer.upsertTxt(zoneId, NAME, splitIntoStrings(value), 300);
    await writer.upsertTxt(zoneId, `other._domainkey.example.com`, ['v=DKIM1; p='], 300);
    expect(await writer.deleteTxt(zoneId, NAME)).toEqual({ changeId: expect.any(String) });
    expect((await txtRecords(zoneId)).map((r) => r.Name)).toEqual(['other._domainkey.example.com.']);
    expect(await writer.deleteTxt(zoneId, NAME)).toBeUndefined();
  });

  it('refuses before any call: a string over 255 octets, no strings, a value over 4000 characters, a bad TTL', async () => {
    const send = jest.spyOn(client, 'send');
    try {
      const long = await caught(writer.upsertTxt('Z1', NAME, [value], 300));
      expect(long).toBeInstanceOf(ValidationError);
      expect(long).toMatchObject({ code: 'TXT_STRING_TOO_LONG', field: 'strings[0]' });
      expect(await caught(writer.upsertTxt('Z1', NAME, [], 300))).toMatchObject({ code: 'EMPTY_TXT_RECORD' });
      const huge = splitIntoStrings('x'.repeat(4000));
      expect(await caught(writer.upsertTxt('Z1', NAME, huge, 300))).toMatchObject({ code: 'RECORD_VALUE_TOO_LONG' });
      expect(await caught(writer.upsertTxt('Z1', NAME, ['v'], -1))).toMatchObject({ code: 'INVALID_TTL' });
      expect(send).not.toHaveBeenCalled();
    } finally {
      send.mockRestore();
    }
  });

  it('a record outside the zone: Route 53 refuses it, INVALID_REQUEST naming the change', async () => {
    const zoneId = await createZone('example.com');
    const error = await caught(writer.upsertTxt(zoneId, 'sel._domainkey.example.net', ['v'], 300));
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', service: 'Route 53' });
    expect(error.message).toContain(
      `ChangeResourceRecordSets on hosted zone ${zoneId} (UPSERT sel._domainkey.example.net TXT)`,
    );
  });

  it('awsClientConfig: a client without an endpoint reaches moto through AWS_ENDPOINT_URL_ROUTE_53', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_ROUTE_53: moto.endpoint,
      AWS_REGION: 'ap-northeast-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
    });
    const configured = new Route53Client(awsClientConfig());
    try {
      const zoneId = await createZone('example.com');
      await new Route53ZoneWriter({ client: configured }).upsertTxt(zoneId, NAME, ['v=DKIM1; p='], 300);
      expect(await txtRecords(zoneId)).toHaveLength(1);
    } finally {
      configured.destroy();
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
});

describe('Route53ZoneWriter with a mocked client', () => {
  const client = new Route53Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const mock = mockClient(client);
  const writer = new Route53ZoneWriter({ client });
  const sdkError = (name: string, status: number, message: string) =>
    new Route53ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message });

  beforeEach(() => mock.reset());
  afterAll(() => {
    mock.restore();
    client.destroy();
  });

  it.each([
    ['PriorRequestNotComplete', 400, 'The request was rejected because Route 53 was still processing a prior request.'],
    ['Throttling', 400, 'Rate exceeded'],
    ['ThrottlingException', 400, 'Rate exceeded'],
  ])('%s is a TransientError THROTTLED', async (name, status, message) => {
    mock.on(ChangeResourceRecordSetsCommand).rejects(sdkError(name, status, message));
    const error = await caught(writer.upsertTxt('Z123', NAME, ['v=DKIM1; p='], 300));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'THROTTLED', service: 'Route 53' });
    expect(error.message).toContain(`ChangeResourceRecordSets on hosted zone Z123 (UPSERT ${NAME} TXT)`);
  });

  it('InvalidChangeBatch is INVALID_REQUEST with what Route 53 said; AccessDenied names the action and zone', async () => {
    mock
      .on(ChangeResourceRecordSetsCommand)
      .rejectsOnce(sdkError('InvalidChangeBatch', 400, "[Invalid Resource Record: 'FATAL problem: TXTRDATATooLong']"))
      .rejectsOnce(
        sdkError('AccessDenied', 403, 'User x is not authorized to perform: route53:ChangeResourceRecordSets'),
      );
    const invalid = await caught(writer.upsertTxt('Z123', NAME, ['v'], 300));
    expect(invalid).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(invalid.message).toContain('TXTRDATATooLong');
    const denied = await caught(writer.upsertTxt('Z123', NAME, ['v'], 300));
    expect(denied).toMatchObject({ code: 'ACCESS_DENIED' });
    expect(denied.message).toContain(
      `Route 53 refused ChangeResourceRecordSets on hosted zone Z123 (UPSERT ${NAME} TXT)`,
    );
  });

  it('GetChange answers PENDING then INSYNC; an unknown status is refused', async () => {
    mock
      .on(GetChangeCommand)
      .resolvesOnce({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } })
      .resolvesOnce({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date() } })
      .resolvesOnce({ ChangeInfo: { Id: '/change/C1', Status: 'LOST' as 'INSYNC', SubmittedAt: new Date() } });
    expect(await writer.getChange('/change/C1')).toBe('PENDING');
    expect(await writer.getChange('C1')).toBe('INSYNC');
    expect(await caught(writer.getChange('C1'))).toMatchObject({ code: 'UNEXPECTED_RESPONSE' });
    expect(mock.commandCalls(GetChangeCommand).map((c) => c.args[0].input)).toEqual([
      { Id: 'C1' },
      { Id: 'C1' },
      { Id: 'C1' },
    ]);
  });

  it('zone lookup follows ListHostedZonesByName pages while they still list the name', async () => {
    const zone = (id: string, name: string, priv = false) => ({
      Id: `/hostedzone/${id}`,
      Name: name,
      CallerReference: id,
      Config: { PrivateZone: priv },
    });
    mock
      .on(ListHostedZonesByNameCommand)
      .resolvesOnce({
        HostedZones: [zone('ZPRIV', 'dkim.example.com.', true)],
        IsTruncated: true,
        NextDNSName: 'dkim.example.com.',
        NextHostedZoneId: 'ZPUB',
        MaxItems: 1,
      })
      .resolvesOnce({
        HostedZones: [zone('ZPUB', 'dkim.example.com.'), zone('ZNEXT', 'e.example.com.')],
        IsTruncated: false,
        MaxItems: 2,
      });
    expect(await writer.resolveZone('dkim.example.com')).toBe('ZPUB');
    expect(mock.commandCalls(ListHostedZonesByNameCommand).map((c) => c.args[0].input)).toEqual([
      { DNSName: 'dkim.example.com.', MaxItems: 100 },
      { DNSName: 'dkim.example.com.', HostedZoneId: 'ZPUB', MaxItems: 100 },
    ]);
  });

  it('route53TxtValue quotes each string and joins them with one space', () => {
    expect(route53TxtValue(['a', 'b"c', 'd\\e'])).toBe('"a" "b\\"c" "d\\\\e"');
  });
});

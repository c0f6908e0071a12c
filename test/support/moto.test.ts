import { ListHostedZonesCommand, Route53Client } from '@aws-sdk/client-route-53';
import { startMoto, type Moto } from './moto';

describe('test support: moto_server on loopback', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => moto?.stop());

  it('answers the AWS SDK, and reset empties it', async () => {
    const route53 = new Route53Client(moto.clientConfig);
    const { CreateHostedZoneCommand } = await import('@aws-sdk/client-route-53');
    await route53.send(new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: 'probe' }));
    expect((await route53.send(new ListHostedZonesCommand({}))).HostedZones?.map((z) => z.Name)).toEqual([
      'example.com.',
    ]);
    await moto.reset();
    expect((await route53.send(new ListHostedZonesCommand({}))).HostedZones).toEqual([]);
    route53.destroy();
  });
});

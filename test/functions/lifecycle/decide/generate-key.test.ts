/** generateKey: a chosen selector gets its key pair, or picks up the one a crashed run already stored. */
import { KEY_IDS, NOW, PUBLIC_KEYS, World, running, specFor, table } from './world';

describe('generateKey', () => {
  table([
    {
      name: 'asks for a 2048-bit key pair for the new key',
      given: () => running('route53').key('next', 'generated'),
      want: {
        policy: 'generateKey',
        unchanged: true,
        actions: [{ type: 'generate-key', keyId: KEY_IDS.next, bits: 2048 }],
      },
    },
    {
      name: 'asks for a 1024-bit key pair when the domain is configured for a DNS host that cannot hold longer records',
      given: () => new World({ ...specFor('external'), keyBits: 1024 }).key('next', 'generated'),
      want: {
        policy: 'generateKey',
        unchanged: true,
        actions: [{ type: 'generate-key', keyId: KEY_IDS.next, bits: 1024 }],
      },
    },
    {
      name: 'records the key a crashed run already stored instead of generating another',
      given: () => running('route53').key('next', 'generated').stored(KEY_IDS.next, PUBLIC_KEYS.next),
      want: { policy: 'generateKey', keys: { next: { state: 'generated', publicKey: PUBLIC_KEYS.next } } },
    },
    {
      name: 'does not apply once the public key is recorded: the record is published',
      given: () => running('route53').key('next', 'generated', { publicKey: PUBLIC_KEYS.next }),
      want: {
        policy: 'publishRecord',
        keys: { next: { state: 'dns-requested', dnsRequestedAt: NOW } },
        actions: [{ type: 'write-txt' }],
      },
    },
  ]);
});

// The world of the fleet benchmark (60-fleet.bench.mjs): a virtual clock, and in-process fakes of the AWS
// services at the SDK boundary — `send` of every client class the handlers use is replaced, so the real
// handlers and adapters build the real commands and parse the answers. The fakes keep their data in the
// project's in-memory models (functions/memory: SES with its DNS search and checks, Route 53 writing into a
// simulated DNS with 45 s to INSYNC), plus a small DynamoDB / Secrets Manager / SQS of their own.
//
// Every call is answered after LATENCY_MS of virtual time. Route 53 is a token bucket shared by the account
// (10 requests/second, burst 50); SES too (its rate is configurable); a request beyond the bucket is answered
// with the service's throttling error. The SDK's own retries (3 attempts, exponential backoff with full
// jitter, base 500 ms for throttling, 100 ms otherwise, cap 20 s) are modelled here, since `send` is
// replaced; every attempt is counted as a call. The adaptive mode's client-side rate limiter is modelled
// in a simplified form (see `acquire`).
import { AsyncLocalStorage } from 'node:async_hooks';
import { setImmediate } from 'node:timers';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

export const LATENCY_MS = 50;
const SDK_MAX_ATTEMPTS = 3;

/** A deterministic PRNG (mulberry32). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Virtual time: `sleep(ms)` resolves when the clock reaches now + ms. `run(promise)` drives the clock: once
 * every microtask and immediate has run (nothing real happens in between: no I/O, no real timers), it jumps
 * to the earliest timer and resolves every timer due then.
 */
export class VirtualTime {
  constructor(start) {
    this.t = start;
    this.timers = []; // binary heap of [t, seq, resolve]
    this.seq = 0;
  }
  now() {
    return this.t;
  }
  sleep(ms) {
    return new Promise((resolve) => this.push([this.t + Math.max(0, ms), this.seq++, resolve]));
  }
  push(item) {
    const h = this.timers;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p], h[i])) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }
  pop() {
    const h = this.timers;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l], h[m])) m = l;
        if (r < h.length && less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
  async run(promise) {
    let done = false;
    let failure;
    promise.then(
      () => (done = true),
      (error) => {
        done = true;
        failure = error;
      },
    );
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (done) break;
      if (this.timers.length === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        if (done) break;
        throw new Error(
          'virtual time: nothing is scheduled and the run has not finished (real I/O or a lost promise?)',
        );
      }
      const first = this.pop();
      this.t = first[0];
      first[2]();
      while (this.timers.length > 0 && this.timers[0][0] === this.t) this.pop()[2]();
    }
    if (failure) throw failure;
    return promise;
  }
}
const less = (a, b) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/** The queue's messages not yet received, earliest visible first (a binary heap of [visibleAt, seq, message]). */
export class MessageHeap {
  constructor() {
    this.timers = [];
    this.seq = 0;
  }
  get size() {
    return this.timers.length;
  }
  add(message) {
    VirtualTime.prototype.push.call(this, [message.visibleAt, this.seq++, message]);
  }
  /** When the earliest message becomes visible (Infinity when there is none). */
  nextVisibleAt() {
    return this.timers.length > 0 ? this.timers[0][0] : Infinity;
  }
  /** The earliest message if it is visible at `now`. */
  take(now) {
    return this.nextVisibleAt() <= now ? VirtualTime.prototype.pop.call(this)[2] : undefined;
  }
  /** Removes and counts the messages visible only after `t`. */
  dropAfter(t) {
    const kept = this.timers.filter((item) => item[0] <= t);
    const dropped = this.timers.length - kept.length;
    this.timers = [];
    for (const item of kept) VirtualTime.prototype.push.call(this, item);
    return dropped;
  }
}

/** A token bucket over virtual time. */
export class TokenBucket {
  constructor(time, ratePerSecond, burst) {
    this.time = time;
    this.rate = ratePerSecond;
    this.burst = burst;
    this.tokens = burst;
    this.at = time.now();
  }
  take() {
    const now = this.time.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

function awsError(name, status, message = name, throttling = false) {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: 'bench' },
    ...(throttling ? { $retryable: { throttling: true } } : {}),
  });
}

const unquote = (value) => [...value.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(.)/g, '$1'));

/**
 * The fake AWS account. `context` (AsyncLocalStorage) carries `{ domain }` while a worker reconciles a domain,
 * so calls are counted per domain; calls outside (the planner) are counted as `planner`.
 */
export function createWorld({
  root,
  start,
  sesRatePerSecond,
  sesBurst,
  route53RatePerSecond = 10,
  route53Burst = 50,
  seed = 1,
}) {
  const dist = (p) => require(path.join(root, 'dist', 'functions', p));
  const { MemorySes, MemoryRoute53 } = dist('memory/services.js');
  const { SimDns, CachingResolver, MemoryDnsObserver } = dist('memory/dns.js');
  const { STATE_TABLE } = dist('core/contract.js');

  const time = new VirtualTime(start);
  const clock = { now: () => time.now() };
  const random = prng(seed);
  const context = new AsyncLocalStorage();
  const dns = new SimDns();
  const sesResolver = new CachingResolver('resolver:ses', dns);
  const ses = new MemorySes(clock, sesResolver);
  const route53 = new MemoryRoute53(clock, dns);
  const observer = new MemoryDnsObserver(dns, [new CachingResolver('resolver:public', dns)], clock);
  const buckets = {
    route53: new TokenBucket(time, route53RatePerSecond, route53Burst),
    ses: new TokenBucket(time, sesRatePerSecond, sesBurst),
  };

  const table = new Map(); // `${pk}|${sk}` → item
  const secrets = new Map(); // name → { Name, Description, SecretString, CreatedDate, DeletedDate }
  const secretsByStem = new Map(); // `<prefix>/<domain>/` → the secrets under it (ListSecrets in O(1))
  const stemOf = (name) => name.slice(0, name.lastIndexOf('/') + 1);
  const queue = []; // { id, body, visibleAt, receives }
  let messageCounter = 0;
  const changeIds = new Map();

  /** Calls, by "who" (a domain or `planner`) and action; throttled attempts separately. */
  const calls = { byWho: new Map(), byAction: new Map(), throttled: 0, total: 0, failedAfterRetries: 0 };
  const count = (action) => {
    const who = context.getStore()?.domain ?? 'planner';
    let entry = calls.byWho.get(who);
    if (!entry) calls.byWho.set(who, (entry = { total: 0, writes: 0 }));
    entry.total += 1;
    if (/^(Put|Update|TransactWrite|Create|Delete|ChangeResourceRecordSets|SendEmail|Publish)/.test(action))
      entry.writes += 1;
    calls.byAction.set(action, (calls.byAction.get(action) ?? 0) + 1);
    calls.total += 1;
  };
  const resetCalls = () => {
    calls.byWho.clear();
    calls.byAction.clear();
    calls.throttled = 0;
    calls.total = 0;
    calls.failedAfterRetries = 0;
  };

  const key = (k) => `${k[STATE_TABLE.partitionKey].S}|${k[STATE_TABLE.sortKey].S}`;
  const itemKey = (item) => key(item);

  const handlers = {
    // --- DynamoDB
    GetItemCommand: (input) => ({ Item: table.get(key(input.Key)) }),
    PutItemCommand: (input) => {
      putItem(input);
      return {};
    },
    TransactWriteItemsCommand: (input) => {
      for (const entry of input.TransactItems) {
        if (!entry.Put) throw new Error(`fake DynamoDB: only Put in transactions (${Object.keys(entry)})`);
        checkCondition(entry.Put);
      }
      for (const entry of input.TransactItems) table.set(itemKey(entry.Put.Item), entry.Put.Item);
      return {};
    },
    QueryCommand: (input) => {
      if (input.IndexName === undefined) {
        // The worker's read of one domain: `pk = :pk AND begins_with(sk, :s)` (its SPEC and STATE items).
        if (input.KeyConditionExpression !== '#pk = :pk AND begins_with(#sk, :s)') {
          throw new Error(`fake DynamoDB: unsupported Query ${input.KeyConditionExpression}`);
        }
        // The partition's sort keys that can match: SPEC and STATE (events start with EVENT#), looked up
        // directly rather than by scanning the whole table.
        const pk = input.ExpressionAttributeValues[':pk'].S;
        const prefix = input.ExpressionAttributeValues[':s'].S;
        const items = [STATE_TABLE.specSortKey, STATE_TABLE.stateSortKey]
          .sort()
          .filter((sk) => sk.startsWith(prefix))
          .map((sk) => table.get(`${pk}|${sk}`))
          .filter((item) => item !== undefined);
        return { Items: items };
      }
      if (input.IndexName !== STATE_TABLE.kindIndex.name) throw new Error('fake DynamoDB: only the kind index');
      const kind = input.ExpressionAttributeValues[':kind'].S;
      const all = [...table.values()]
        .filter((item) => item[STATE_TABLE.attributes.kind]?.S === kind)
        .map((item) => item[STATE_TABLE.kindIndex.sortKey].S)
        .sort();
      // A keys-only index page holds about 1 MB: ~10,000 short items. Pages of 5,000 keep it honest.
      const limit = Math.min(input.Limit ?? 5000, 5000);
      const from = input.ExclusiveStartKey ? all.indexOf(input.ExclusiveStartKey.domain.S) + 1 : 0;
      const page = all.slice(from, from + limit);
      return {
        Items: page.map((d) => ({ [STATE_TABLE.kindIndex.sortKey]: { S: d } })),
        ...(from + limit < all.length ? { LastEvaluatedKey: { domain: { S: page[page.length - 1] } } } : {}),
      };
    },
    // --- SES v2 (the in-memory SES: DNS search, checks, status)
    GetEmailIdentityCommand: async (input) => {
      const dkim = await ses.getDkim(input.EmailIdentity);
      if (!dkim) throw awsError('NotFoundException', 404);
      return {
        DkimAttributes: {
          ...(dkim.origin ? { SigningAttributesOrigin: dkim.origin } : {}),
          SigningEnabled: dkim.signingEnabled,
          Status: dkim.status,
          Tokens: [...dkim.tokens],
        },
      };
    },
    PutEmailIdentityDkimSigningAttributesCommand: async (input) => {
      await ses.putExternalSigningKey(
        input.EmailIdentity,
        input.SigningAttributes.DomainSigningSelector,
        input.SigningAttributes.DomainSigningPrivateKey,
      );
      return {};
    },
    PutEmailIdentityDkimAttributesCommand: async (input) => {
      await ses.setSigningEnabled(input.EmailIdentity, input.SigningEnabled);
      return {};
    },
    SendEmailCommand: () => ({ MessageId: 'bench' }),
    // --- Route 53 (the in-memory Route 53 writes into the simulated DNS)
    ChangeResourceRecordSetsCommand: async (input) => {
      let id;
      for (const change of input.ChangeBatch.Changes) {
        const set = change.ResourceRecordSet;
        if (change.Action === 'UPSERT') {
          const strings = unquote(set.ResourceRecords[0].Value);
          ({ changeId: id } = await route53.upsertTxt(input.HostedZoneId, set.Name, strings, set.TTL));
        } else {
          dns.set(set.Name.toLowerCase().replace(/\.$/, ''), undefined, time.now() + 45_000);
          id = `/change/D${++messageCounter}`;
          changeIds.set(id, time.now() + 45_000);
        }
      }
      return { ChangeInfo: { Id: id, Status: 'PENDING' } };
    },
    GetChangeCommand: async (input) => {
      const id = input.Id.startsWith('/change/') ? input.Id : `/change/${input.Id}`;
      if (changeIds.has(id))
        return { ChangeInfo: { Id: id, Status: time.now() >= changeIds.get(id) ? 'INSYNC' : 'PENDING' } };
      return { ChangeInfo: { Id: id, Status: await route53.getChange(id) } };
    },
    ListResourceRecordSetsCommand: (input) => {
      const name = input.StartRecordName.toLowerCase().replace(/\.$/, '');
      const rrset = dns.at(name, time.now());
      if (!rrset?.txt) return { ResourceRecordSets: [] };
      return {
        ResourceRecordSets: [
          {
            Name: `${name}.`,
            Type: 'TXT',
            TTL: rrset.ttl,
            ResourceRecords: rrset.txt.map((strings) => ({ Value: strings.map((s) => `"${s}"`).join(' ') })),
          },
        ],
      };
    },
    // --- Secrets Manager
    ListSecretsCommand: (input) => {
      const stem = input.Filters[0].Values[0];
      if (stem !== stemOf(stem)) throw new Error(`fake Secrets Manager: name filters end with / (${stem})`);
      return {
        SecretList: (secretsByStem.get(stem) ?? [])
          .filter((s) => input.IncludePlannedDeletion || !s.DeletedDate)
          .map(({ SecretString: _value, ...entry }) => entry),
      };
    },
    CreateSecretCommand: (input) => {
      if (secrets.has(input.Name)) throw awsError('ResourceExistsException', 400);
      const secret = {
        Name: input.Name,
        Description: input.Description,
        SecretString: input.SecretString,
        CreatedDate: new Date(time.now()),
      };
      secrets.set(input.Name, secret);
      const stem = stemOf(input.Name);
      if (!secretsByStem.has(stem)) secretsByStem.set(stem, []);
      secretsByStem.get(stem).push(secret);
      return { Name: input.Name };
    },
    DeleteSecretCommand: (input) => {
      const secret = secrets.get(input.SecretId);
      if (!secret) throw awsError('ResourceNotFoundException', 400);
      secret.DeletedDate = new Date(time.now() + input.RecoveryWindowInDays * 86_400_000);
      return {};
    },
    DescribeSecretCommand: (input) => {
      const secret = secrets.get(input.SecretId);
      if (!secret) throw awsError('ResourceNotFoundException', 400);
      return { Name: secret.Name, DeletedDate: secret.DeletedDate };
    },
    GetSecretValueCommand: (input) => {
      const secret = secrets.get(input.SecretId);
      if (!secret) throw awsError('ResourceNotFoundException', 400);
      if (secret.DeletedDate) throw awsError('InvalidRequestException', 400, 'marked for deletion');
      return { Name: secret.Name, SecretString: secret.SecretString };
    },
    // --- SQS, SNS
    // A worker's requeue: visible after DelaySeconds (SQS allows 0 to 900).
    SendMessageCommand: (input) => {
      const delay = input.DelaySeconds ?? 0;
      if (!Number.isInteger(delay) || delay < 0 || delay > 900) throw awsError('InvalidParameterValue', 400);
      queue.push({
        id: `m${++messageCounter}`,
        body: input.MessageBody,
        visibleAt: time.now() + delay * 1000,
        receives: 0,
      });
      return { MessageId: `m${messageCounter}` };
    },
    // The planner's messages: each visible after its own DelaySeconds (the planner spreads a run over time).
    SendMessageBatchCommand: (input) => {
      if (input.Entries.length > 10) throw awsError('TooManyEntriesInBatchRequest', 400);
      for (const entry of input.Entries) {
        const delay = entry.DelaySeconds ?? 0;
        if (!Number.isInteger(delay) || delay < 0 || delay > 900) throw awsError('InvalidParameterValue', 400);
      }
      for (const entry of input.Entries) {
        queue.push({
          id: `m${++messageCounter}`,
          body: entry.MessageBody,
          visibleAt: time.now() + (entry.DelaySeconds ?? 0) * 1000,
          receives: 0,
        });
      }
      return { Successful: input.Entries.map((e) => ({ Id: e.Id })), Failed: [] };
    },
    PublishCommand: () => ({ MessageId: 'bench' }),
  };

  function checkCondition(put) {
    if (!put.ConditionExpression) return;
    const current = table.get(itemKey(put.Item));
    const expected = put.ExpressionAttributeValues?.[':expected']?.N;
    const ok = put.ConditionExpression.startsWith('attribute_not_exists')
      ? current === undefined
      : current?.[STATE_TABLE.attributes.version]?.N === expected;
    if (!ok) throw Object.assign(awsError('ConditionalCheckFailedException', 400), { Item: current });
  }
  function putItem(input) {
    checkCondition(input);
    table.set(itemKey(input.Item), input.Item);
  }

  const serviceOf = (name) =>
    /EmailIdentity|SendEmail/.test(name)
      ? 'ses'
      : /ResourceRecordSets|GetChange|HostedZones/.test(name)
        ? 'route53'
        : undefined;
  const throttleName = { ses: 'TooManyRequestsException', route53: 'Throttling' };

  /**
   * The adaptive retry mode's client-side rate limiter, per client (each worker container has its own),
   * simplified: off until the client is first throttled; then a token bucket whose rate is cut to 0.7× on
   * every throttle (of the client's measured send rate the first time) and raised by 0.1 request/second per
   * success (the SDK grows it along a cubic curve), never below 0.5 request/second (the SDK's minimum).
   */
  const limiters = new WeakMap();
  async function acquire(client) {
    const limiter = limiters.get(client);
    if (!limiter?.enabled) return;
    for (;;) {
      const now = time.now();
      limiter.tokens = Math.min(Math.max(1, limiter.rate), limiter.tokens + ((now - limiter.at) / 1000) * limiter.rate);
      limiter.at = now;
      if (limiter.tokens >= 1) {
        limiter.tokens -= 1;
        return;
      }
      await time.sleep(Math.ceil(((1 - limiter.tokens) / limiter.rate) * 1000));
    }
  }
  function observe(client, throttled) {
    let limiter = limiters.get(client);
    if (!limiter) limiters.set(client, (limiter = { enabled: false, rate: 0, tokens: 0, at: time.now(), sent: [] }));
    const now = time.now();
    limiter.sent.push(now);
    while (limiter.sent.length > 0 && limiter.sent[0] < now - 1000) limiter.sent.shift();
    if (throttled) {
      const measured = limiter.sent.length;
      limiter.rate = Math.max(0.5, 0.7 * (limiter.enabled ? Math.min(limiter.rate, measured) : measured));
      if (!limiter.enabled) limiter.tokens = 0;
      limiter.enabled = true;
      limiter.at = now;
    } else if (limiter.enabled) {
      limiter.rate += 0.1;
    }
  }

  /** One SDK `send`: the SDK's retries (and adaptive rate limiter) around attempts answered after LATENCY_MS. */
  async function send(client, command) {
    const name = command.constructor.name;
    const action = name.replace(/Command$/, '');
    const handler = handlers[name];
    if (!handler) throw new Error(`fake AWS: no ${name}`);
    const service = serviceOf(name);
    for (let attempt = 0; ; attempt += 1) {
      if (service !== undefined) await acquire(client);
      count(action);
      const admitted = service === undefined || buckets[service].take();
      await time.sleep(LATENCY_MS);
      if (service !== undefined) observe(client, !admitted);
      if (admitted) return handler(command.input);
      calls.throttled += 1;
      if (attempt + 1 >= SDK_MAX_ATTEMPTS) {
        calls.failedAfterRetries += 1;
        throw awsError(throttleName[service], 400, 'Rate exceeded', true);
      }
      await time.sleep(Math.floor(Math.min(20_000, random() * 2 ** attempt * 500)));
    }
  }

  /** Replaces `send` of every client class the runtime uses (the prototype's own method shadows Client's). */
  function install() {
    const classes = [
      ['@aws-sdk/client-dynamodb', 'DynamoDBClient'],
      ['@aws-sdk/client-sesv2', 'SESv2Client'],
      ['@aws-sdk/client-route-53', 'Route53Client'],
      ['@aws-sdk/client-secrets-manager', 'SecretsManagerClient'],
      ['@aws-sdk/client-sqs', 'SQSClient'],
      ['@aws-sdk/client-sns', 'SNSClient'],
    ];
    for (const [pkg, cls] of classes) {
      const Client = require(require.resolve(pkg, { paths: [root] }))[cls];
      Client.prototype.send = function fakeSend(command) {
        return send(this, command);
      };
    }
  }

  return { time, clock, context, dns, ses, route53, observer, table, secrets, queue, calls, resetCalls, install };
}

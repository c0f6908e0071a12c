// The monitor: one run of the real monitor (runMonitor from dist/, built by bench.mjs) over BENCH_MONITOR_SIZES
// (default 1,000) route53-mode domains, with the real read-only adapters (DynamoDbMonitorReader,
// SesV2IdentityDkim) whose SDK clients' `send` is replaced by fakes that answer after 50 ms of REAL time
// (this is wall time, not a virtual clock: the monitor's concurrency, MONITOR_CONCURRENCY = 16 domains at a
// time, is what is measured). The DNS observer is a fake too (one authoritative server and three resolvers
// answering the exact record after 50 ms; DNS lookups are not AWS calls and are counted apart). Half the
// fleet is healthy; the other half has one problem each (SES FAILED, Easy DKIM, record missing, key over its
// interval), so the verdicts, the log lines and the alert are built as in a bad hour.
//
// Reported: wall time of the run, AWS calls per domain by action (target: 2 — one Query for the domain's
// SPEC/STATE/HEARTBEAT items, one GetEmailIdentity — plus the index Query pages of the listing, shared),
// DNS lookups per domain, the metric data and alert size. Timings are printed, never asserted.
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';

export const name = 'monitor: one run over 1,000 domains (mocked AWS at 50 ms/call, 16 domains at a time)';

const SIZES = (process.env.BENCH_MONITOR_SIZES ?? '1000').split(',').map(Number);
const CALL_MS = 50;
const DAY = 86_400_000;
const HOUR = 3_600_000;

export async function run({ root, log }) {
  const require = createRequire(import.meta.url);
  const dist = (p) => require(path.join(root, 'dist', 'functions', p));
  for (const n of SIZES) await once({ dist, n, log });
}

async function once({ dist, n, log }) {
  const { specItem, STATE_TABLE, heartbeatItem } = dist('core/contract.js');
  const { formatRecordValue, splitIntoStrings } = dist('dkim/record.js');
  const { realKeyPairs } = dist('memory/keys.js');
  const { DynamoDbMonitorReader } = dist('adapters/monitoring-store.js');
  const { SesV2IdentityDkim } = dist('adapters/ses.js');
  const { runMonitor } = dist('handlers/monitor.js');
  const { MONITOR_CONCURRENCY } = dist('handlers/monitoring-runtime.js');

  const [pair] = realKeyPairs(1);
  const now = Date.UTC(2026, 11, 2, 0, 30);
  const selector = 'mail-prod-20261101-1';
  const domains = Array.from({ length: n }, (_, i) => `d${String(i).padStart(5, '0')}.example`);
  const problem = (i) => (i % 2 === 0 ? 'none' : ['ses-failed', 'easy-dkim', 'missing', 'old'][(i >> 1) % 4]);
  const index = new Map(domains.map((d, i) => [d, i]));
  const spec = (domain) => ({
    domain,
    selectorPrefix: 'mail-prod',
    keyBits: 2048,
    dns: { kind: 'route53', hostedZoneId: 'Z0EXAMPLE' },
    rotation: { intervalDays: 180, renewBeforeDays: 30, graceDays: 7, activation: 'auto' },
  });
  const stateItem = (domain, i) => {
    const activatedAt = now - (problem(i) === 'old' ? 200 : 30) * DAY;
    const state = {
      domain,
      version: 3,
      createdAt: now - 400 * DAY,
      updatedAt: now - DAY,
      keys: [
        {
          keyId: selector,
          selector,
          state: 'active',
          reason: 'scheduled',
          publicKey: pair.publicKey,
          createdAt: activatedAt - DAY,
          activatedAt,
        },
      ],
      notified: {},
      rotations: 2,
    };
    const a = STATE_TABLE.attributes;
    return {
      [STATE_TABLE.partitionKey]: { S: `DOMAIN#${domain}` },
      [STATE_TABLE.sortKey]: { S: STATE_TABLE.stateSortKey },
      [a.kind]: { S: 'STATE' },
      [a.domain]: { S: domain },
      [a.version]: { N: '3' },
      [a.updatedAt]: { N: String(now - DAY) },
      [a.state]: { S: JSON.stringify(state) },
    };
  };

  const calls = new Map();
  const count = (action) => calls.set(action, (calls.get(action) ?? 0) + 1);
  const PAGE = 1000;
  const dynamodb = {
    async send(command) {
      await sleep(CALL_MS);
      const input = command.input;
      if (input.IndexName) {
        count('DynamoDB Query (kind-index)');
        const start = input.ExclusiveStartKey ? Number(input.ExclusiveStartKey.n.N) : 0;
        const page = domains.slice(start, start + PAGE).map((d) => ({ kind: { S: 'SPEC' }, domain: { S: d } }));
        return { Items: page, ...(start + PAGE < n ? { LastEvaluatedKey: { n: { N: String(start + PAGE) } } } : {}) };
      }
      count('DynamoDB Query (domain)');
      const domain = input.ExpressionAttributeValues[':pk'].S.slice('DOMAIN#'.length);
      const i = index.get(domain);
      return {
        Items: [
          heartbeatItem(domain, new Date(now - HOUR).toISOString(), 'done'),
          JSON.parse(JSON.stringify(specItem(spec(domain)))),
          stateItem(domain, i),
        ],
      };
    },
  };
  const ses = {
    async send(command) {
      await sleep(CALL_MS);
      count('SES GetEmailIdentity');
      const i = index.get(command.input.EmailIdentity);
      const p = problem(i);
      return {
        DkimAttributes:
          p === 'easy-dkim'
            ? { SigningAttributesOrigin: 'AWS_SES', SigningEnabled: true, Status: 'SUCCESS', Tokens: ['a', 'b', 'c'] }
            : {
                SigningAttributesOrigin: 'EXTERNAL',
                SigningEnabled: true,
                Status: p === 'ses-failed' ? 'FAILED' : 'SUCCESS',
                Tokens: [selector],
              },
      };
    },
  };
  let lookups = 0;
  const exact = [splitIntoStrings(formatRecordValue(pair.publicKey))];
  const dns = {
    async lookupTxt(name) {
      lookups += 1;
      await sleep(CALL_MS);
      const domain = name.split('._domainkey.')[1];
      const missing = problem(index.get(domain)) === 'missing';
      return [
        'authoritative:ns-1@192.0.2.53:53',
        'resolver:8.8.8.8:53',
        'resolver:1.1.1.1:53',
        'resolver:9.9.9.9:53',
      ].map((server) => ({
        name,
        server,
        outcome: missing ? 'nxdomain' : 'answer',
        records: missing ? [] : exact,
        cnameChain: [],
      }));
    },
  };
  const data = [];
  let alert;
  const runtime = {
    environment: 'prod',
    locale: 'ja',
    timeZone: 'Asia/Tokyo',
    keyManagerSilentMs: 13 * HOUR,
    reader: new DynamoDbMonitorReader({ tableName: 'byodkim-prod-dkim-state', client: dynamodb }),
    ses: new SesV2IdentityDkim({ client: ses }),
    dns,
    topic: { publish: async (subject, message) => ((alert = { subject, message }), 'id') },
    logger: { log() {} },
    metrics: { emit: (d) => data.push(d), flush() {} },
    now: () => now,
    concurrency: MONITOR_CONCURRENCY,
  };

  const started = process.hrtime.bigint();
  const answer = await runMonitor(runtime);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const aws = [...calls.values()].reduce((a, b) => a + b, 0);
  log(
    `${n} domains: ${(wallMs / 1000).toFixed(2)} s wall (${MONITOR_CONCURRENCY} at a time, ${CALL_MS} ms per call), ` +
      `${(aws / n).toFixed(3)} AWS calls per domain (${[...calls].map(([k, v]) => `${k} ${v}`).join(', ')}), ` +
      `${(lookups / n).toFixed(2)} DNS lookups per domain`,
  );
  log(
    `  verdicts: unhealthy ${answer.summary.domainsUnhealthy}, drift ${answer.summary.signingDrift}, record problems ` +
      `${answer.summary.recordProblems}, over interval ${answer.summary.keysOverInterval}; ${data.length} metric data ` +
      `(${data.filter((d) => d.dimensions.Domain).length} per domain); alert ${answer.alert}, ` +
      `${alert ? Buffer.byteLength(alert.message) : 0} bytes: "${alert?.subject ?? ''}"`,
  );
}

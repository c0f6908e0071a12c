/**
 * `byodkim verify-dns`: checks a selector's published record on the zone's authoritative name servers and
 * on recursive resolvers, and prints each server's diagnosis. Exit 0: every server returns the expected
 * record; 1: a server returns a wrong or no record; 2: usage error, or DNS could not be asked.
 */
import fs from 'node:fs';
import { ExitCode, type Command, type CommandIo } from '../command';
import { parseOptions, wholeNumber } from './options';
import {
  DEFAULT_RESOLVERS,
  DEFAULT_RETRIES,
  DEFAULT_TIMEOUT_MS,
  verifyDns,
  type DnsVerifierOptions,
  type VerificationReport,
} from '../../adapters/dns-verifier';
import { DnsLookupError, RecordSyntaxError } from '../../dkim/errors';
import { assertSelector, recordName, toALabel } from '../../core/names';
import { parseRecord, parseZoneFileRecord } from '../../dkim/record';
import { ValidationError } from '../../core/errors';

const USAGE = `usage: byodkim verify-dns --domain DOMAIN --selector SELECTOR --expect FILE [options]

Asks the zone's authoritative name servers (found by NS lookup) and recursive resolvers for
SELECTOR._domainkey.DOMAIN and compares each answer with the expected record.
Exit status: 0 every server returns the expected record; 1 a wrong or missing record;
2 usage error or DNS could not be asked.

options:
  --expect FILE          the expected record: the .txt written by keygen (a zone-file line), quoted
                         strings, or the bare value "v=DKIM1; k=rsa; p=..."
  --server HOST[:PORT]   ask only these servers (repeatable), no name server discovery
  --resolver HOST[:PORT] recursive resolvers to ask and to discover name servers with (repeatable;
                         default ${DEFAULT_RESOLVERS.join(', ')})
  --name-server-port N   the port to ask discovered name servers on (default 53)
  --timeout MS           per-try timeout for each server (default ${DEFAULT_TIMEOUT_MS})
  --retries N            further tries after a timeout (default ${DEFAULT_RETRIES})
  --lang en|ja|both      the language of the diagnoses (default both)
  --json                 print the full report as JSON
`;

function usageError(io: CommandIo, message: string): number {
  io.stderr(`byodkim verify-dns: ${message}\n\n${USAGE}`);
  return ExitCode.USAGE;
}

/** The public key the file says the record should hold; the file's name, if any, must be the record's. */
function expectedKey(file: string, name: string, domain: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ValidationError(
      'EXPECT_UNREADABLE',
      `cannot read --expect ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      'expect',
    );
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new ValidationError(
      'EXPECT_IS_PRIVATE_KEY',
      `--expect ${file} holds a private key; give the record file (SELECTOR.txt) instead`,
      'expect',
    );
  }
  const record = parseZoneFileRecord(text);
  if (record.name !== undefined) {
    const given = record.name.toLowerCase();
    const relative = name.slice(0, -(domain.length + 1));
    if (given !== name && given !== relative) {
      throw new ValidationError(
        'EXPECT_NAME_MISMATCH',
        `--expect ${file} is the record for ${record.name}, not ${name}`,
        'expect',
      );
    }
  }
  try {
    const parsed = parseRecord(record.value);
    if (parsed.revoked) {
      throw new ValidationError('EXPECT_REVOKED', `--expect ${file} is a revocation (p= is empty)`, 'expect');
    }
    return parsed.publicKey;
  } catch (error) {
    if (error instanceof RecordSyntaxError) {
      throw new ValidationError('EXPECT_MALFORMED', `--expect ${file}: ${error.problem.en}`, 'expect');
    }
    throw error;
  }
}

function render(report: VerificationReport, lang: 'en' | 'ja' | 'both'): string {
  const lines = [
    `${report.name} TXT: ${report.servers.length} server${report.servers.length === 1 ? '' : 's'}${report.zone ? ` (zone ${report.zone})` : ''}`,
  ];
  for (const s of report.servers) {
    const who = s.nameServer ? `${s.role} ${s.nameServer} (${s.server})` : `${s.role} ${s.server}`;
    lines.push(`${s.diagnosis.ok ? '[OK]  ' : '[FAIL]'} ${who}: ${s.diagnosis.code}`);
    if (lang !== 'ja') lines.push(`       ${s.diagnosis.message.en}`);
    if (lang !== 'en') lines.push(`       ${s.diagnosis.message.ja}`);
    if (s.detail) lines.push(`       (${s.detail})`);
  }
  const bad = report.servers.filter((s) => !s.diagnosis.ok).length;
  lines.push(
    report.verified
      ? `verified: every server returns the expected record / すべてのサーバーが期待どおりのレコードを返しました`
      : `NOT verified: ${bad} of ${report.servers.length} server${report.servers.length === 1 ? '' : 's'} did not return the expected record / ${report.servers.length} 台中 ${bad} 台が期待どおりのレコードを返しませんでした`,
    '',
  );
  return lines.join('\n');
}

export const verifyDnsCommand: Command = {
  name: 'verify-dns',
  summary: 'check a published DKIM record on authoritative servers and resolvers',
  usage: USAGE,
  async run(args, io) {
    const values = parseOptions(args, {
      domain: { type: 'string' },
      selector: { type: 'string' },
      expect: { type: 'string' },
      server: { type: 'string', multiple: true },
      resolver: { type: 'string', multiple: true },
      'name-server-port': { type: 'string' },
      timeout: { type: 'string' },
      retries: { type: 'string' },
      lang: { type: 'string' },
      json: { type: 'boolean' },
    });
    for (const required of ['domain', 'selector', 'expect'] as const) {
      if (!values[required]) return usageError(io, `--${required} is required`);
    }
    const lang = values.lang ?? 'both';
    if (lang !== 'en' && lang !== 'ja' && lang !== 'both') return usageError(io, '--lang must be en, ja or both');
    if (values.server && values.resolver) return usageError(io, '--server and --resolver cannot be combined');
    const domain = toALabel(values.domain!);
    const selector = assertSelector(values.selector!);
    const name = recordName(selector, domain);
    const publicKey = expectedKey(values.expect!, name, domain);
    const options: DnsVerifierOptions = {
      ...(values.server
        ? { authoritative: 'none' as const, resolvers: values.server }
        : values.resolver
          ? { resolvers: values.resolver }
          : {}),
      nameServerPort: wholeNumber(values['name-server-port'], 'name-server-port', 53),
      timeoutMs: wholeNumber(values.timeout, 'timeout', DEFAULT_TIMEOUT_MS),
      retries: wholeNumber(values.retries, 'retries', DEFAULT_RETRIES),
    };

    let report: VerificationReport;
    try {
      report = await verifyDns({ selector, domain, publicKey }, options);
    } catch (error) {
      if (error instanceof DnsLookupError) {
        io.stderr(`byodkim verify-dns: ${error.message}\n`);
        return ExitCode.USAGE;
      }
      throw error;
    }
    io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : render(report, lang));
    if (report.verified) return ExitCode.OK;
    const findings = report.servers.filter((s) => !s.diagnosis.ok && s.diagnosis.code !== 'lookup-failed');
    return findings.length > 0 ? ExitCode.FAILED : ExitCode.USAGE;
  },
};

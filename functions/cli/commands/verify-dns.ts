/**
 * `byodkim verify-dns`: checks a selector's published record on the zone's authoritative name servers and
 * on recursive resolvers, and prints each server's diagnosis. Exit 0: every server returns the expected
 * record; 1: a server returns a wrong or no record; 2: usage error, or DNS could not be asked.
 *
 * Which server is which is the user's to say, not guessed: `--server` names authoritative servers (asked
 * without recursion; one answering without the AA flag is pointed out), `--resolver` recursive ones.
 */
import fs from 'node:fs';
import { ExitCode, INVOCATION, type Command, type CommandIo } from '../command';
import { parseOptions, wholeNumber } from './options';
import {
  DEFAULT_RESOLVERS,
  DEFAULT_RETRIES,
  DEFAULT_TIMEOUT_MS,
  verifyDns,
  type DnsVerifierOptions,
  type ServerReport,
  type VerificationReport,
} from '../../adapters/dns-verifier';
import { isLookupFailure } from '../../dkim/dns-answer';
import { DnsLookupError, RecordSyntaxError } from '../../dkim/errors';
import { assertSelector, recordName, toALabel } from '../../core/names';
import { parseRecord, parseZoneFileRecord } from '../../dkim/record';
import { ValidationError, type BilingualText } from '../../core/errors';
import { VERIFY_DNS_ENV_HELP, verifyDnsEnv } from './verify-dns-env';

const USAGE = `usage: ${INVOCATION} verify-dns --domain DOMAIN --selector SELECTOR --expect FILE [options]

Asks the zone's authoritative name servers (found by NS lookup, asked without recursion) and recursive
resolvers for SELECTOR._domainkey.DOMAIN, and compares each server's answer with the expected record.

exit status:
  0 every server returns the expected record
  1 some server returns a wrong or no record (the diagnosis names the mistake)
  2 usage error, or DNS could not be asked: no server reachable, no zone found, or every problem is a
    failed lookup (a server that does not resolve, refuses the connection, times out or answers
    SERVFAIL/REFUSED), so nothing is known about the record

options:
  --expect FILE            the expected record: the .txt written by keygen (a zone-file line), quoted
                           strings, or the bare value "v=DKIM1; k=rsa; p=..."
  --server HOST[:PORT]     an authoritative name server of the zone (repeatable), asked without recursion
                           in place of the discovered ones; an answer without the AA flag is pointed out.
                           Only these servers, and any --resolver, are asked
  --resolver HOST[:PORT]   a recursive resolver (repeatable), asked with recursion, in place of
                           ${DEFAULT_RESOLVERS.join(', ')}; without --server the zone's name servers are found
                           through it
  --resolvers-only         ask only the resolvers: do not discover or ask the zone's name servers
  --name-server-port N     the port to ask discovered name servers on (default 53)
  --timeout MS             per-try timeout for each server (default ${DEFAULT_TIMEOUT_MS})
  --retries N              further tries after a timeout (default ${DEFAULT_RETRIES})
  --lang en|ja|both        the language of the whole report (default both)
  --json                   print the full report as JSON

${VERIFY_DNS_ENV_HELP}

examples:
  ${INVOCATION} verify-dns --domain example.com --selector mail-prod-20250907-1 --expect keys/mail-prod-20250907-1.txt
  ${INVOCATION} verify-dns --domain example.com --selector s1 --expect s1.txt --server ns1.example.net --lang ja
  ${INVOCATION} verify-dns --env prod --domain example.com
  ${INVOCATION} verify-dns --env dev --local
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

type Lang = 'en' | 'ja' | 'both';

function say(lang: Lang, text: BilingualText): string {
  return lang === 'en' ? text.en : lang === 'ja' ? text.ja : `${text.en} / ${text.ja}`;
}

const ROLE_JA = { authoritative: '権威サーバー', resolver: 'リゾルバー' } as const;

/** An `authoritative` server that answered without the AA flag does not serve the zone. */
function notAuthoritativeNote(s: ServerReport): BilingualText | undefined {
  if (s.role !== 'authoritative' || s.aa !== false || isLookupFailure(s.answer.outcome)) return undefined;
  return s.nameServer
    ? {
        en: `note: the answer is not authoritative (no AA flag): ${s.nameServer} does not serve the zone (a lame delegation)`,
        ja: `注意: 権威ある応答ではありません（AA フラグなし）。${s.nameServer} はこのゾーンを提供していません（lame delegation）`,
      }
    : {
        en: 'note: the answer is not authoritative (no AA flag): this server does not serve the zone itself; if it is a recursive resolver, give it with --resolver',
        ja: '注意: 権威ある応答ではありません（AA フラグなし）。このサーバーはゾーンを直接提供していません。リゾルバーの場合は --resolver で指定してください',
      };
}

function summary(report: VerificationReport): BilingualText {
  const n = report.servers.length;
  const servers = `server${n === 1 ? '' : 's'}`;
  const failed = report.servers.filter((s) => s.diagnosis.code === 'lookup-failed').length;
  const wrong = report.servers.filter((s) => !s.diagnosis.ok).length - failed;
  if (report.verified) {
    return {
      en: 'verified: every server returns the expected record',
      ja: '検証済み: すべてのサーバーが期待どおりのレコードを返しました',
    };
  }
  if (wrong > 0) {
    return {
      en: `NOT verified: ${wrong} of ${n} ${servers} did not return the expected record${failed ? `; ${failed} could not be asked` : ''}`,
      ja: `検証できませんでした: ${n} 台中 ${wrong} 台が期待どおりのレコードを返しませんでした${failed ? `（${failed} 台には問い合わせできませんでした）` : ''}`,
    };
  }
  const others = n - failed;
  return {
    en: `NOT verified: ${failed} of ${n} ${servers} could not be asked; nothing is known about the record${others ? ' there (the others return the expected record)' : ''}`,
    ja: `検証できませんでした: ${n} 台中 ${failed} 台に問い合わせできず、${others ? 'そのサーバーでの' : ''}レコードの正否は不明です${others ? '（他のサーバーは期待どおりのレコードを返しました）' : ''}`,
  };
}

function render(report: VerificationReport, lang: Lang): string {
  const n = report.servers.length;
  const zone = report.zone;
  const en = `${report.name} TXT: ${n} server${n === 1 ? '' : 's'} asked${zone ? ` (zone ${zone})` : ''}`;
  const ja = `サーバー ${n} 台に問い合わせ${zone ? `（ゾーン ${zone}）` : ''}`;
  const lines = [lang === 'en' ? en : lang === 'ja' ? `${report.name} の TXT レコード: ${ja}` : `${en} / ${ja}`];
  for (const s of report.servers) {
    const role = lang === 'ja' ? ROLE_JA[s.role] : s.role;
    const who = s.nameServer ? `${role} ${s.nameServer} (${s.server})` : `${role} ${s.server}`;
    lines.push(`${s.diagnosis.ok ? '[OK]  ' : '[FAIL]'} ${who}: ${s.diagnosis.code}`);
    if (lang !== 'ja') lines.push(`       ${s.diagnosis.message.en}`);
    if (lang !== 'en') lines.push(`       ${s.diagnosis.message.ja}`);
    const note = notAuthoritativeNote(s);
    if (note) {
      if (lang !== 'ja') lines.push(`       ${note.en}`);
      if (lang !== 'en') lines.push(`       ${note.ja}`);
    }
    // The wire detail, unless the diagnosis already says it (an unreachable server, a REFUSED answer).
    if (s.detail && s.answer.outcome !== 'unreachable' && s.answer.outcome !== 'refused') {
      lines.push(lang === 'ja' ? `       （詳細: ${s.detail}）` : `       (${s.detail})`);
    }
  }
  lines.push(say(lang, summary(report)), '');
  return lines.join('\n');
}

/** Why DNS could not be asked at all, in the report's language. */
function lookupErrorText(error: DnsLookupError, name: string, lang: Lang): string {
  const ja: Record<string, string> = {
    RESOLVERS_UNREACHABLE: `${name} のゾーンを特定できませんでした: どのリゾルバーも応答しませんでした`,
    ZONE_NOT_FOUND: `${name} のゾーンを特定できませんでした: その名前にも親ドメインにも NS レコードがありません`,
    NAME_SERVERS_UNRESOLVED: `${name} のゾーンのネームサーバーは見つかりましたが、その IPv4 アドレスを解決できませんでした`,
    NO_DNS_SERVERS: '問い合わせる DNS サーバーがありません: --server または --resolver を指定してください',
  };
  const text = { en: error.message, ja: ja[error.code] ?? error.message };
  return lang === 'both' ? `${text.en}\n${text.ja}` : text[lang];
}

export const verifyDnsCommand: Command = {
  name: 'verify-dns',
  summary: 'check a DKIM record on authoritative servers and resolvers (or --env: ask the key manager)',
  usage: USAGE,
  async run(args, io) {
    if (args.some((a) => a === '--env' || a.startsWith('--env='))) {
      if (args.some((a) => a === '--expect' || a.startsWith('--expect=') || a === '--selector')) {
        return usageError(
          io,
          '--env asks the deployed key manager; --selector and --expect check one record by hand: use one or the other',
        );
      }
      return verifyDnsEnv(args, io);
    }
    const values = parseOptions(args, {
      domain: { type: 'string' },
      selector: { type: 'string' },
      expect: { type: 'string' },
      server: { type: 'string', multiple: true },
      resolver: { type: 'string', multiple: true },
      'resolvers-only': { type: 'boolean' },
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
    if (values.server && values['resolvers-only']) {
      return usageError(io, '--server and --resolvers-only cannot be combined');
    }
    const domain = toALabel(values.domain!);
    const selector = assertSelector(values.selector!);
    const name = recordName(selector, domain);
    const publicKey = expectedKey(values.expect!, name, domain);
    // --server: those authoritative servers instead of discovery, plus only the --resolver ones (an
    // authoritative CNAME into another zone is followed through the resolvers, or the default ones).
    const servers: Pick<DnsVerifierOptions, 'authoritative' | 'resolvers' | 'discoveryResolvers'> = values.server
      ? {
          authoritative: values.server,
          resolvers: values.resolver ?? [],
          discoveryResolvers: values.resolver ?? DEFAULT_RESOLVERS,
        }
      : {
          ...(values['resolvers-only'] ? { authoritative: 'none' as const } : {}),
          resolvers: values.resolver ?? DEFAULT_RESOLVERS,
        };
    const options: DnsVerifierOptions = {
      ...servers,
      nameServerPort: wholeNumber(values['name-server-port'], 'name-server-port', 53),
      timeoutMs: wholeNumber(values.timeout, 'timeout', DEFAULT_TIMEOUT_MS),
      retries: wholeNumber(values.retries, 'retries', DEFAULT_RETRIES),
    };

    let report: VerificationReport;
    try {
      report = await verifyDns({ selector, domain, publicKey }, options);
    } catch (error) {
      if (error instanceof DnsLookupError) {
        io.stderr(`byodkim verify-dns: ${lookupErrorText(error, name, lang)}\n`);
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

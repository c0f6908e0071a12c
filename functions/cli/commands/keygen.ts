/**
 * `byodkim keygen`: generates a DKIM key pair for a selector, writes the private key (mode 0600, created
 * with that mode) and the zone-file line, and prints the record to publish. Never prints the private key.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, INVOCATION, type Command, type CommandIo } from '../command';
import { parseOptions, wholeNumber } from './options';
import { generateKeyPair } from '../../dkim/keys';
import { assertSelector, recordName, toALabel } from '../../core/names';
import { DEFAULT_RECORD_TTL, formatRecordValue, splitIntoStrings, zoneFileLine } from '../../dkim/record';

const USAGE = `usage: ${INVOCATION} keygen --domain DOMAIN --selector SELECTOR --out DIR [--bits 2048] [--ttl ${DEFAULT_RECORD_TTL}]

Generates an RSA key pair for SES BYODKIM and writes:
  DIR/SELECTOR.private.pem   the private key (PKCS#1 PEM, mode 0600): keep it secret
  DIR/SELECTOR.txt           the DNS record as a zone-file line
and prints the record to publish. Existing files are never overwritten: a new key needs a new selector.

options:
  --domain DOMAIN      the mail domain (Unicode names are converted to their A-label)
  --selector SELECTOR  1-63 letters, digits and inner hyphens, e.g. mail-prod-20250907-1
  --out DIR            the directory to write to (created with mode 0700 if missing)
  --bits N             2048 (default) or 1024 (only for DNS hosts that cannot hold longer records)
  --ttl SECONDS        the TTL in the zone-file line (default ${DEFAULT_RECORD_TTL})
`;

function usageError(io: CommandIo, message: string): number {
  io.stderr(`byodkim keygen: ${message}\n\n${USAGE}`);
  return ExitCode.USAGE;
}

/** Creates a file that must not exist yet, with `mode` from the first moment (no chmod afterwards). */
function createExclusive(file: string, content: string, mode: number): void {
  const fd = fs.openSync(file, 'wx', mode);
  try {
    fs.writeFileSync(fd, content);
  } finally {
    fs.closeSync(fd);
  }
}

export const keygen: Command = {
  name: 'keygen',
  summary: 'generate a DKIM key pair and the DNS record to publish',
  usage: USAGE,
  async run(args, io) {
    const values = parseOptions(args, {
      domain: { type: 'string' },
      selector: { type: 'string' },
      out: { type: 'string' },
      bits: { type: 'string' },
      ttl: { type: 'string' },
    });
    for (const required of ['domain', 'selector', 'out'] as const) {
      if (!values[required]) return usageError(io, `--${required} is required`);
    }
    const domain = toALabel(values.domain!);
    const selector = assertSelector(values.selector!);
    const name = recordName(selector, domain);
    const bits = wholeNumber(values.bits, 'bits', 2048);
    const ttl = wholeNumber(values.ttl, 'ttl', DEFAULT_RECORD_TTL);
    const dir = path.resolve(values.out!);
    const keyFile = path.join(dir, `${selector}.private.pem`);
    const recordFile = path.join(dir, `${selector}.txt`);

    for (const file of [keyFile, recordFile]) {
      if (fs.existsSync(file)) {
        io.stderr(
          `byodkim keygen: ${file} already exists; byodkim never overwrites a key. Use a new selector for a new key (or move the old files away first).\n`,
        );
        return ExitCode.USAGE;
      }
    }
    // Everything that can be refused (e.g. an unsupported --bits) is refused before the file system is touched.
    const pair = generateKeyPair({ bits });
    const value = formatRecordValue(pair.publicKey);
    const line = zoneFileLine(name, value, ttl);
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      io.stderr(`byodkim keygen: cannot create ${dir}: ${(error as Error).message}\n`);
      return ExitCode.USAGE;
    }

    try {
      createExclusive(keyFile, pair.privateKeyPem, 0o600);
    } catch (error) {
      io.stderr(`byodkim keygen: cannot write ${keyFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}\n`);
      return ExitCode.USAGE;
    }
    try {
      createExclusive(recordFile, `${line}\n`, 0o644);
    } catch (error) {
      fs.unlinkSync(keyFile);
      io.stderr(`byodkim keygen: cannot write ${recordFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}\n`);
      return ExitCode.USAGE;
    }

    for (const warning of pair.warnings) {
      io.stderr(`warning: ${warning.message.en}\n警告: ${warning.message.ja}\n`);
    }
    const strings = splitIntoStrings(value);
    io.stdout(
      [
        `Publish ONE TXT record / TXT レコードを 1 件登録してください:`,
        `  name:  ${name}`,
        `  type:  TXT`,
        `  value: ${value.length} characters, as ${strings.length} character-string${strings.length === 1 ? '' : 's'} of at most 255 in that one record:`,
        ...strings.map((s) => `         "${s}"`),
        `  zone-file line:`,
        `    ${line}`,
        '',
        `Private key: ${keyFile} (mode 0600, ${pair.bits} bits). Keep it secret; do not mail it.`,
        `Record:      ${recordFile}`,
        `Check the published record with:`,
        `  byodkim verify-dns --domain ${domain} --selector ${selector} --expect ${recordFile}`,
        '',
      ].join('\n'),
    );
    return ExitCode.OK;
  },
};

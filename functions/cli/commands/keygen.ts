/**
 * `byodkim keygen`: generates a DKIM key pair for a selector, writes the private key in two forms (PEM, and
 * the one-line base64 PKCS#1 DER SES takes; both mode 0600, created with that mode) and the zone-file line,
 * and prints the record to publish and the next steps. Never prints the private key.
 *
 * A private key never belongs in git: keygen refuses to write one where git would track it (inside a work
 * tree, not ignored), and says how to ignore the directory.
 */
import { spawnSync } from 'node:child_process';
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
  DIR/SELECTOR.private.b64   the same key as SES takes it (base64 PKCS#1 DER on one line, mode 0600)
  DIR/SELECTOR.txt           the DNS record as a zone-file line
and prints the record to publish, then the commands to verify it and to give SES the key (the AWS CLI
reads the key from the file: it never appears on a command line). Existing files are never overwritten:
a new key needs a new selector. Inside a git work tree, DIR must be ignored by git (e.g. "keys/" in
.gitignore): keygen refuses to write a private key git would track.

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

/** git with the caller's GIT_DIR/GIT_WORK_TREE left out, so it looks at the directory it is pointed at. */
function git(cwd: string, args: readonly string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GIT_')));
  return spawnSync('git', ['-C', cwd, ...args], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] });
}

/**
 * The files git would track: those inside a git work tree that no ignore rule excludes. Undefined outside a work
 * tree, or when git is not installed. `files` need not exist yet (neither need their directory).
 */
export function filesGitWouldTrack(files: readonly string[]): { root: string; files: string[] } | undefined {
  let existing = path.dirname(path.resolve(files[0]!));
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  const top = git(existing, ['rev-parse', '--show-toplevel']);
  if (top.error || top.status !== 0 || !top.stdout.trim()) return undefined;
  const root = top.stdout.trim();
  // Compare real paths: the work tree's root is one (e.g. /tmp may be a link).
  const real = fs.realpathSync(existing);
  const relative = files.map((f) => path.relative(root, path.join(real, path.relative(existing, path.resolve(f)))));
  const tracked = relative.filter(
    (f) => !f.startsWith('..') && git(root, ['check-ignore', '-q', '--', f]).status !== 0,
  );
  return tracked.length > 0 ? { root, files: tracked } : undefined;
}

/** `file` as the user would type it: relative to the working directory when inside it, else absolute. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** A word for a POSIX shell, in single quotes unless it is plainly safe (a quote inside is escaped). */
function shellWord(word: string, always = false): string {
  return !always && /^[A-Za-z0-9_%+:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
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
    const sesFile = path.join(dir, `${selector}.private.b64`);
    const recordFile = path.join(dir, `${selector}.txt`);

    for (const file of [keyFile, sesFile, recordFile]) {
      if (fs.existsSync(file)) {
        io.stderr(
          `byodkim keygen: ${file} already exists; byodkim never overwrites a key. Use a new selector for a new key (or move the old files away first).\n`,
        );
        return ExitCode.USAGE;
      }
    }
    const tracked = filesGitWouldTrack([keyFile, sesFile]);
    if (tracked) {
      const list = tracked.files.join(', ');
      io.stderr(
        [
          `byodkim keygen: refusing to write a private key inside the git work tree ${tracked.root}: git would track ${list} (no ignore rule excludes ${tracked.files.length === 1 ? 'it' : 'them'}).`,
          `Add the directory to .gitignore (e.g. "keys/"), or choose an --out directory outside the repository.`,
          `byodkim keygen: git の作業ツリー ${tracked.root} の中に秘密鍵を書き込むことはできません: ${list} が git の管理対象になります（.gitignore で除外されていません）。`,
          `ディレクトリを .gitignore に追加する（例: "keys/"）か、リポジトリの外のディレクトリを --out に指定してください。`,
          '',
        ].join('\n'),
      );
      return ExitCode.USAGE;
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

    // The SES form without a newline: the AWS CLI reads a file:// value byte for byte.
    const writes: [string, string, number][] = [
      [keyFile, pair.privateKeyPem, 0o600],
      [sesFile, pair.sesPrivateKey, 0o600],
      [recordFile, `${line}\n`, 0o644],
    ];
    const written: string[] = [];
    for (const [file, content, mode] of writes) {
      try {
        createExclusive(file, content, mode);
        written.push(file);
      } catch (error) {
        for (const done of written) fs.unlinkSync(done);
        io.stderr(`byodkim keygen: cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}\n`);
        return ExitCode.USAGE;
      }
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
        `Private key: ${keyFile} (PKCS#1 PEM, mode 0600, ${pair.bits} bits). Keep it secret; do not mail it.`,
        `SES form:    ${sesFile} (base64 PKCS#1 DER on one line, mode 0600: SES's DomainSigningPrivateKey)`,
        `Record:      ${recordFile}`,
        '',
        'Next steps:',
        `  1. Publish the record above (or send it to your DNS team), then check it until every server has it:`,
        `       ${INVOCATION} verify-dns --domain ${domain} --selector ${selector} --expect ${shellWord(shown(recordFile))}`,
        `  2. Only then give SES the key and turn signing on (publishing first, SES second never leaves mail`,
        `     unsigned). The AWS CLI reads the key from the file (@=file://), so it is never on a command line:`,
        `       aws sesv2 put-email-identity-dkim-signing-attributes --email-identity ${domain} \\`,
        `         --signing-attributes-origin EXTERNAL \\`,
        `         --signing-attributes ${shellWord(`DomainSigningSelector=${selector},DomainSigningPrivateKey@=file://${shown(sesFile)}`, true)}`,
        `       aws sesv2 put-email-identity-dkim-attributes --email-identity ${domain} --signing-enabled`,
        `  3. SES reports DkimAttributes.Status SUCCESS once it has found the record (it looks for up to 72 hours):`,
        `       aws sesv2 get-email-identity --email-identity ${domain} --query DkimAttributes`,
        '',
      ].join('\n'),
    );
    return ExitCode.OK;
  },
};

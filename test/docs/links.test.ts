/**
 * The documentation stands alone: README.md and docs/*.md link only to files a clone has, to headings
 * that exist, and name paths of the tree that exist; nothing points outside the repository
 * (`../shared/…`, `DESIGN.md`). And the docs say what the code does where a newcomer was misled before.
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** README.md and every markdown file under docs/, as paths relative to the root. */
function markdownFiles(): string[] {
  const docs = (dir: string): string[] =>
    fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
      const relative = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) return docs(relative);
      return entry.name.endsWith('.md') ? [relative] : [];
    });
  return ['README.md', ...docs('docs')];
}

/** The text outside fenced code blocks, line numbers kept (code lines become empty). */
function prose(text: string): string[] {
  let fenced = false;
  return text.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a markdown file, `-1`, `-2`… for repeated headings as GitHub does. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of prose(fs.readFileSync(path.join(root, file), 'utf8'))) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  return result;
}

interface Link {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

function links(file: string): Link[] {
  const found: Link[] = [];
  prose(fs.readFileSync(path.join(root, file), 'utf8')).forEach((text, i) => {
    for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      found.push({ file, line: i + 1, target: match[1]! });
    }
    const reference = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(text);
    if (reference) found.push({ file, line: i + 1, target: reference[1]! });
  });
  return found;
}

/** Why a link does not resolve in a clone, or undefined when it does. */
function brokenLink({ file, target }: Link): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:
  const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
  const resolved = pathPart === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), pathPart));
  if (resolved.startsWith('..')) return `${target} leaves the repository`;
  if (!fs.existsSync(path.join(root, resolved))) return `${resolved} does not exist`;
  if (anchor !== undefined && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) {
    return `${resolved} has no heading #${anchor}`;
  }
  return undefined;
}

/**
 * Paths of the tree a page names in backticks (`functions/core/spec.ts`, `docs/`, `main.ts`) that do not
 * exist. Placeholders (`envs/<env>.ts`) are not paths. Paths that exist only once a command made them are
 * listed in `ANNOUNCED`: `docs/api/`, which `npm run docs` generates and git ignores.
 */
const ANNOUNCED = new Set(['docs/api/']);

function missingPaths(file: string): string[] {
  const missing: string[] = [];
  prose(fs.readFileSync(path.join(root, file), 'utf8')).forEach((text, i) => {
    for (const match of text.matchAll(/`((?:functions|constructs|envs|test|scripts|docs|bin)\/[\w./-]*|main\.ts)`/g)) {
      const named = match[1]!;
      if (ANNOUNCED.has(named)) continue;
      const at = path.join(root, named);
      if (!fs.existsSync(at) && !fs.existsSync(`${at}.ts`)) missing.push(`${file}:${i + 1}: ${named}`);
    }
  });
  return missing;
}

const FILES = markdownFiles();

describe('docs stand alone', () => {
  it('covers README.md and the pages of docs/', () => {
    expect(FILES).toEqual(
      expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/design.md', 'docs/lifecycle.md']),
    );
  });

  it.each(FILES)('%s: points nowhere outside the repository (../shared, DESIGN.md)', (file) => {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const outside = text
      .split('\n')
      .map((line, i) => `${file}:${i + 1}: ${line.trim()}`)
      .filter((line) => /\.\.\/shared\b|\bDESIGN\.md\b/.test(line.slice(line.indexOf(': ') + 2)));
    expect(outside).toEqual([]);
  });

  it.each(FILES)('%s: every relative link resolves, to a heading that exists', (file) => {
    const broken = links(file)
      .map((link) => [link, brokenLink(link)] as const)
      .filter(([, why]) => why !== undefined)
      .map(([link, why]) => `${link.file}:${link.line}: (${link.target}) ${why}`);
    expect(broken).toEqual([]);
  });

  it.each(FILES)('%s: every path of the tree it names exists', (file) => {
    expect(missingPaths(file)).toEqual([]);
  });

  it('finds a broken link, a missing heading and a path outside the repository', () => {
    expect(brokenLink({ file: 'docs/lifecycle.md', line: 1, target: 'nowhere.md' })).toBe(
      'docs/nowhere.md does not exist',
    );
    expect(brokenLink({ file: 'README.md', line: 1, target: '#no-such-heading' })).toBe(
      'README.md has no heading #no-such-heading',
    );
    expect(brokenLink({ file: 'README.md', line: 1, target: '../shared/DESIGN.md' })).toBe(
      '../shared/DESIGN.md leaves the repository',
    );
    expect(brokenLink({ file: 'docs/design.md', line: 1, target: 'architecture.md#what-may-import-what' })).toBe(
      undefined,
    );
    expect(slug('One domain spec, from `envs/prod.ts` to an SES call')).toBe(
      'one-domain-spec-from-envsprodts-to-an-ses-call',
    );
  });
});

describe('docs say what the code does', () => {
  it('whitespace inside p= is refused (diagnosis `whitespace-in-key`), in every page that mentions it', () => {
    const claims = FILES.flatMap((file) =>
      fs
        .readFileSync(path.join(root, file), 'utf8')
        .split(/(?<=[.!?])\s+/)
        .filter((sentence) => /whitespace\s+inside\s+`?p=/i.test(sentence) && /\baccept/i.test(sentence))
        .map((sentence) => `${file}: ${sentence.replace(/\s+/g, ' ')}`),
    );
    expect(claims).toEqual([]);
    expect(fs.readFileSync(path.join(root, 'docs', 'lifecycle.md'), 'utf8')).toContain('`whitespace-in-key`');
    expect(fs.readFileSync(path.join(root, 'functions', 'dkim', 'diagnosis.ts'), 'utf8')).toContain(
      "'whitespace-in-key'",
    );
  });
});

// The documentation's shape and links: README.md stays a short front door with the two
// commands of a fresh machine, and every relative link in README.md, docs/, bench/*.md and
// src/**/README.md points to a file that exists (and, with #anchor, to a heading in it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// build/test/docs/docs.test.js -> the repository root
const root = fileURLToPath(new URL('../../../', import.meta.url));

const README_MAX_LINES = 300;

/** Lines as `wc -l` counts them, plus a last line without a newline. */
function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** The text with fenced code blocks blanked (line count kept), so links and headings in code are not read. */
function withoutFences(text: string): string {
  let fence: string | null = null;
  return text
    .split('\n')
    .map((line) => {
      const m = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
      if (fence === null) {
        if (m) {
          fence = m[1]!;
          return '';
        }
        return line;
      }
      if (m && m[1]![0] === fence[0] && m[1]!.length >= fence.length && line.trim() === m[1]) fence = null;
      return '';
    })
    .join('\n');
}

/** GitHub's heading anchor: lowercase, punctuation other than '-' and '_' dropped, each space a '-'. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text
    .replace(/<[^>]+>/g, '') // inline HTML tags
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '').replace(/\s/g, '-');
}

/** Every anchor a markdown file offers: its headings' slugs (duplicates numbered as GitHub does) and explicit ids. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(markdown).split('\n')) {
    const h = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = slug(h[1]!);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const a of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(a[1]!);
  }
  return anchors;
}

/** The link targets of a markdown file outside code: inline `[text](target)`, images, and reference definitions. */
export function linkTargets(markdown: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  withoutFences(markdown)
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.replace(/(`+)[\s\S]*?\1/g, ''); // inline code spans
      for (const m of line.matchAll(/\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)/g)) out.push({ target: m[1]!.replace(/^<|>$/g, ''), line: i + 1 });
      const def = /^\s{0,3}\[[^\]]+\]:\s*(\S+)/.exec(line);
      if (def) out.push({ target: def[1]!.replace(/^<|>$/g, ''), line: i + 1 });
    });
  return out;
}

/** What is wrong with the relative links of `file` (an absolute path): one message per dead link. */
export function deadLinks(file: string, repoRoot: string): string[] {
  const text = readFileSync(file, 'utf8');
  const problems: string[] = [];
  const where = (line: number) => `${relative(repoRoot, file)}:${line}`;
  for (const { target, line } of linkTargets(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // https:, mailto:, …
    const hash = target.indexOf('#');
    const pathPart = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
    const resolved = pathPart === '' ? file : pathPart.startsWith('/') ? join(repoRoot, pathPart) : resolve(dirname(file), pathPart);
    if (!existsSync(resolved)) {
      problems.push(`${where(line)}: ${target} -> no such file ${relative(repoRoot, resolved) || '.'}`);
      continue;
    }
    if (anchor !== null && anchor !== '') {
      // A folder shows its README.md; other files' anchors (GitHub's #L10 line links) are not headings.
      const page = statSync(resolved).isDirectory() ? join(resolved, 'README.md') : resolved;
      if (!page.endsWith('.md')) continue;
      if (!existsSync(page)) {
        problems.push(`${where(line)}: ${target} -> an anchor into a folder without a README.md`);
        continue;
      }
      const anchors = anchorsOf(readFileSync(page, 'utf8'));
      if (!anchors.has(anchor)) problems.push(`${where(line)}: ${target} -> no heading '#${anchor}' in ${relative(repoRoot, page)}`);
    }
  }
  return problems;
}

function markdownFiles(dir: string, recursive: boolean, only?: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (recursive) files.push(...markdownFiles(p, true, only));
    } else if (name.endsWith('.md') && (!only || only(name))) files.push(p);
  }
  return files;
}

/** The documentation the link check covers. */
function documentationFiles(): string[] {
  return [
    join(root, 'README.md'),
    ...markdownFiles(join(root, 'docs'), true),
    ...markdownFiles(join(root, 'bench'), false),
    ...markdownFiles(join(root, 'src'), true, (name) => name === 'README.md'),
  ];
}

test('README.md is a front door: at most 300 lines', () => {
  const n = lineCount(readFileSync(join(root, 'README.md'), 'utf8'));
  assert.ok(n <= README_MAX_LINES, `README.md has ${n} lines; move detail into docs/ or bench/RESULTS.md (at most ${README_MAX_LINES})`);
});

test('README.md keeps the two commands for a fresh machine', () => {
  const text = readFileSync(join(root, 'README.md'), 'utf8');
  assert.match(text, /npm run demo/);
  assert.match(text, /npm test/);
});

test('every relative link in README.md, docs/, bench/*.md and src/**/README.md points to an existing file and heading', () => {
  const files = documentationFiles();
  assert.ok(files.length >= 4, `expected README.md, docs/, bench/ and src/ READMEs under ${root}, found ${files.length}`);
  assert.ok(
    files.some((f) => f.startsWith(join(root, 'docs'))),
    'no docs/*.md found',
  );
  const problems = files.flatMap((f) => deadLinks(f, root));
  assert.deepEqual(problems, []);
});

test('the check finds a dead file link, a dead anchor and a link into a missing folder, and passes good ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'finegrain-docs-'));
  try {
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'docs/code.ts'), 'export const a = 1;\nexport const b = 2;\n');
    writeFileSync(join(dir, 'docs/guide.md'), '# The guide\n\n## Install & run (CPU/GPU)\n\n## Install & run (CPU/GPU)\n\n```sh\n# not a heading\n```\n');
    writeFileSync(
      join(dir, 'README.md'),
      [
        '# Title',
        '[ok](docs/guide.md) [ok](docs/guide.md#the-guide) [ok](docs/guide.md#install--run-cpugpu-1) [ok](#title) [web](https://example.com/x) [line](docs/code.ts#L2)',
        '[dead](docs/missing.md)',
        '[bad anchor](docs/guide.md#not-a-heading)',
        '[no folder](nothere/README.md)',
        '`[in code](ignored.md)`',
        '```',
        '[in a fence](ignored.md)',
        '```',
        '[ref]: docs/gone.md',
      ].join('\n'),
    );
    const problems = deadLinks(join(dir, 'README.md'), dir);
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.match(problems[0]!, /README\.md:3: docs\/missing\.md -> no such file/);
    assert.match(problems[1]!, /README\.md:4: .*no heading '#not-a-heading'/);
    assert.match(problems[2]!, /README\.md:5: nothere\/README\.md/);
    assert.match(problems[3]!, /README\.md:10: docs\/gone\.md/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('slugs follow GitHub: lowercase, punctuation dropped except - and _, spaces to -', () => {
  assert.equal(slug('Where libtorch comes from'), 'where-libtorch-comes-from');
  assert.equal(slug('`finegrain serve`'), 'finegrain-serve');
  assert.equal(slug('Export, int8 & Triton'), 'export-int8--triton');
  assert.equal(slug('snake_case and kebab-case'), 'snake_case-and-kebab-case');
  assert.equal(slug('The engine in five minutes'), 'the-engine-in-five-minutes');
  assert.deepEqual([...anchorsOf('# A\n## A\n```\n# A\n```\n<a id="x"></a>\n')], ['a', 'a-1', 'x']);
  assert.equal(lineCount('a\nb\n'), 2);
  assert.equal(lineCount('a\nb'), 2);
});

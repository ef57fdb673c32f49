/**
 * Every TypeScript snippet (a ```ts fence) in every README.md of the repository compiles. The
 * READMEs are found when the test runs, so snippets added later are checked too.
 *
 * How a snippet is compiled:
 * - as its own module, with `strict` on, in an async function whose `this` is a `Construct` (so
 *   `new X(this, 'Id', …)` and `await` work as they do in a stack's constructor or a script);
 * - `cdk-ai-gateway` is the packed package: the compiled type definitions (`lib/**\/*.d.ts`,
 *   `lambda/shared/**\/*.d.ts` and package.json, as `npm pack` ships them) copied into a
 *   consumer's node_modules; aws-cdk-lib and the other packages come from the repository;
 * - a snippet with relative imports (`./bedrock/client`), in its code or its context, documents
 *   the runtime code beside its README, and is compiled as a file in that README's folder.
 *
 * Context: a snippet may use names it does not declare (`routerFunction`, `stack`, `cluster`)
 * when the README gives them in a hidden comment above it, which a reader never sees:
 *
 *     <!-- snippet-context
 *     import * as lambda from 'aws-cdk-lib/aws-lambda';
 *     declare const routerFunction: lambda.IFunction;
 *     -->
 *
 * Every `snippet-context` comment applies to all the ```ts snippets after it in the same README.
 * Its imports and declarations are placed above the snippet's body; declare only what the reader
 * can infer from the prose around the snippet.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import * as ts from 'typescript';
import { expectBuiltPackage, REPO_ROOT } from '../helpers/built-package';

// One type-check of every snippet against aws-cdk-lib's types: seconds, more on a loaded machine.
jest.setTimeout(180_000);

/** Folders that hold no README of this repository. */
const SKIPPED_DIRS = new Set(['node_modules', 'cdk.out', 'dist', 'assets', 'coverage', 'sourcemaps']);

interface Snippet {
  /** README path relative to the repository, and the snippet's number in it (1-based). */
  readonly name: string;
  readonly readme: string;
  /** Line of the opening fence in the README (1-based). */
  readonly line: number;
  readonly code: string;
  /** The snippet-context blocks above it, in order. */
  readonly context: string;
}

function readmes(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !SKIPPED_DIRS.has(entry.name)) found.push(...readmes(join(dir, entry.name)));
    } else if (entry.name === 'README.md') {
      found.push(join(dir, entry.name));
    }
  }
  return found.sort();
}

/** The ```ts snippets of a README with the snippet-context comments above each. */
function snippetsOf(readme: string): Snippet[] {
  const lines = readFileSync(readme, 'utf8').split('\n');
  const snippets: Snippet[] = [];
  const contexts: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '<!-- snippet-context') {
      const end = lines.findIndex((l, j) => j > i && l.trim() === '-->');
      if (end < 0) throw new Error(`${relative(REPO_ROOT, readme)}:${i + 1}: a snippet-context comment without its closing '-->' line`);
      contexts.push(lines.slice(i + 1, end).join('\n'));
      i = end;
    } else if (/^```ts\s*$/.test(lines[i])) {
      const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
      if (end < 0) throw new Error(`${relative(REPO_ROOT, readme)}:${i + 1}: a \`\`\`ts fence that is never closed`);
      const rel = relative(REPO_ROOT, readme);
      snippets.push({ name: `${rel} #${snippets.length + 1} (line ${i + 1})`, readme, line: i + 1, code: lines.slice(i + 1, end).join('\n'), context: contexts.join('\n') });
      i = end;
    }
  }
  return snippets;
}

/** The module a snippet becomes: its imports, the context, then its other statements in an async function of a Construct. */
function moduleOf(snippet: Snippet): string {
  const source = ts.createSourceFile('snippet.ts', snippet.code, ts.ScriptTarget.Latest, true);
  const imports: string[] = [];
  const body: string[] = [];
  for (const statement of source.statements) {
    (ts.isImportDeclaration(statement) || ts.isImportEqualsDeclaration(statement) ? imports : body).push(statement.getFullText(source));
  }
  const trailing = snippet.code.slice(source.statements.at(-1)?.end ?? 0);
  return [
    `// ${snippet.name}`,
    ...imports,
    "import type { Construct as SnippetScope } from 'constructs';",
    snippet.context,
    'export async function snippet(this: SnippetScope): Promise<void> {',
    ...body,
    trailing,
    '}',
    '',
  ].join('\n');
}

const ALL = readmes(REPO_ROOT).flatMap(snippetsOf);

let diagnostics: Map<string, string[]>;
let work: string;

beforeAll(() => {
  expectBuiltPackage('The README snippet test (it compiles against the packed type definitions)');
  // The package as `npm pack` ships its types, in a consumer's node_modules; the consumer's other
  // packages are links to the repository's.
  work = mkdtempSync(join(tmpdir(), 'cdk-ai-gateway-snippets-'));
  const modules = join(work, 'node_modules');
  const pkgDir = join(modules, 'cdk-ai-gateway');
  const copyTypes = (from: string, to: string): void => {
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      if (entry.isDirectory()) copyTypes(join(from, entry.name), join(to, entry.name));
      else if (entry.name.endsWith('.d.ts')) {
        mkdirSync(to, { recursive: true });
        copyFileSync(join(from, entry.name), join(to, entry.name));
      }
    }
  };
  copyTypes(join(REPO_ROOT, 'lib'), join(pkgDir, 'lib'));
  copyTypes(join(REPO_ROOT, 'lambda', 'shared'), join(pkgDir, 'lambda', 'shared'));
  copyFileSync(join(REPO_ROOT, 'package.json'), join(pkgDir, 'package.json'));
  for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
    if (entry !== 'cdk-ai-gateway' && !entry.startsWith('.')) symlinkSync(join(REPO_ROOT, 'node_modules', entry), join(modules, entry), 'dir');
  }

  const files = new Map<string, Snippet>();
  const texts = new Map<string, string>();
  ALL.forEach((snippet, i) => {
    const relativeImports = /from\s+['"]\.\.?\//.test(`${snippet.context}\n${snippet.code}`);
    const file = join(relativeImports ? dirname(snippet.readme) : work, `__readme_snippet_${i}.ts`);
    files.set(file, snippet);
    texts.set(file, moduleOf(snippet));
  });
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    resolveJsonModule: true,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError) => {
    const text = texts.get(fileName);
    return text !== undefined ? ts.createSourceFile(fileName, text, languageVersion, true) : getSourceFile(fileName, languageVersion, onError);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => texts.has(fileName) || fileExists(fileName);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => texts.get(fileName) ?? readFile(fileName);
  const program = ts.createProgram([...texts.keys()], options, host);

  diagnostics = new Map(ALL.map((s) => [s.name, []]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const snippet = d.file ? files.get(d.file.fileName) : undefined;
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!snippet || !d.file) {
      // An error outside the snippets (the packed types, the options) fails every snippet.
      for (const list of diagnostics.values()) list.push(`${d.file?.fileName ?? 'options'}: ${message}`);
      continue;
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const text = d.file.text.split('\n')[line].trim();
    diagnostics.get(snippet.name)!.push(`TS${d.code} ${message}\n      at: ${text}`);
  }
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the READMEs have TypeScript snippets to check', () => {
  expect(ALL.length).toBeGreaterThan(0);
});

test.each(ALL.map((s) => [s.name, s]))('%s compiles', (_name, snippet) => {
  const errors = diagnostics.get(snippet.name) ?? [];
  if (errors.length > 0) throw new Error(`${errors.length} error(s) in the snippet at ${relative(REPO_ROOT, snippet.readme)}:${snippet.line}:\n    ${errors.join('\n    ')}`);
});

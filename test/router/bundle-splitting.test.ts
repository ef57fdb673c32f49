/**
 * The shipped router bundle (assets/router, built by `npm run bundle`) is split so that a cold start
 * compiles only what it runs: the AWS SDK's Bedrock Runtime and AppConfigData clients and the
 * credential providers' SSO/STS clients sit in chunks that the entry reaches only through `import()`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ASSET = join(__dirname, '..', '..', 'assets', 'router');
const SOURCEMAPS = join(__dirname, '..', '..', 'sourcemaps', 'router');
const STATIC_IMPORT = /(?:^|[;\s}])(?:import\s*(?:[^"'()]*?\s*from\s*)?|export\s*\*\s*from\s*)["']\.\/(chunk-[A-Z0-9]+\.mjs)["']/g;
const DYNAMIC_IMPORT = /import\(\s*["']\.\/(chunk-[A-Z0-9]+\.mjs)["']\s*\)/g;

/** The files a fresh process loads when it imports index.mjs: the entry and its static chunk imports. */
function staticGraph(): Set<string> {
  const seen = new Set<string>();
  const queue = ['index.mjs'];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of readFileSync(join(ASSET, file), 'utf8').matchAll(STATIC_IMPORT)) queue.push(m[1]);
  }
  return seen;
}

/** The chunk files whose text contains a marker (an SDK client's service name). */
function filesWith(marker: string): string[] {
  return readdirSync(ASSET).filter((f) => f.endsWith('.mjs') && readFileSync(join(ASSET, f), 'utf8').includes(marker));
}

describe('assets/router code splitting', () => {
  test('the bundle has its entry index.mjs (handler index.handler) and chunk files beside it', () => {
    expect(existsSync(join(ASSET, 'index.mjs'))).toBe(true);
    const chunks = readdirSync(ASSET).filter((f) => /^chunk-[A-Z0-9]+\.mjs$/.test(f));
    expect(chunks.length).toBeGreaterThan(0);
  });

  test('the asset folder (the Lambda zip) holds no source maps; they are in sourcemaps/router, one per file', () => {
    const files = readdirSync(ASSET);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    for (const file of files) {
      expect(readFileSync(join(ASSET, file), 'utf8')).not.toContain('sourceMappingURL');
      expect(existsSync(join(SOURCEMAPS, `${file}.map`))).toBe(true);
    }
  });

  test.each([
    ['Bedrock Runtime client', 'AmazonBedrockFrontendService'],
    ['AppConfigData client', '"AppConfigData"'],
    ['STS client (credential providers)', 'AWSSecurityTokenServiceV20110615'],
    ['SSO client (credential providers)', 'SWBPortalService'],
    ['DynamoDB client (lambda/clients/dynamodb.ts)', 'DynamoDB_20120810'],
  ])('the %s is only in chunks loaded with import()', (_name, marker) => {
    const holders = filesWith(marker);
    expect(holders.length).toBeGreaterThan(0);
    const loaded = staticGraph();
    for (const file of holders) expect(loaded.has(file)).toBe(false);
  });

  test('every chunk the bundle imports dynamically exists', () => {
    const dynamic = new Set<string>();
    for (const f of readdirSync(ASSET).filter((n) => n.endsWith('.mjs'))) {
      for (const m of readFileSync(join(ASSET, f), 'utf8').matchAll(DYNAMIC_IMPORT)) dynamic.add(m[1]);
    }
    expect(dynamic.size).toBeGreaterThan(0);
    for (const chunk of dynamic) expect(existsSync(join(ASSET, chunk))).toBe(true);
  });
});

/**
 * TypeScript for the test run, compiled by esbuild (already a build dependency): Jest's transformer
 * (jest.config.js) and the synthesis server's require hook (synthesis/server.js) both use it.
 *
 * Transpile only, one file at a time, as `tsc --isolatedModules` would: type checking is
 * `npm run typecheck`'s job. esbuild does this about ten times faster than the TypeScript compiler's
 * own transpiler, and a cold run of the suite transpiles every source and test file once.
 */
const { createHash } = require('node:crypto');
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const { transformSync, version } = require('esbuild');

// The language settings of tsconfig.jsii.json that change emitted code; CommonJS output for Jest
// and require(), so a lazy `import()` becomes `require` (esbuild keeps it for the Lambda bundles).
const OPTIONS = {
  loader: 'ts',
  format: 'cjs',
  target: 'es2023',
  platform: 'node',
  // Jest's module registry cannot load a real `import()`: esbuild turns it into a promised require.
  supported: { 'dynamic-import': false },
  sourcemap: 'external',
  sourcesContent: false,
  tsconfigRaw: { compilerOptions: { target: 'es2023', useDefineForClassFields: true, esModuleInterop: true } },
};
const OPTIONS_KEY = createHash('sha256').update(version).update(JSON.stringify(OPTIONS)).digest('hex');

/** `source` of `filename` as CommonJS, with its source map. */
function transformTypeScript(source, filename) {
  const { code, map } = transformSync(source, { ...OPTIONS, sourcefile: filename });
  return { code, map };
}

/** A cache key for Jest: the file, its content and the compiler's version and options. */
function cacheKey(source, filename) {
  return createHash('sha256').update(OPTIONS_KEY).update('\0').update(filename).update('\0').update(source).digest('hex');
}

/**
 * Lets `require` load `.ts` files, preferring `x.ts` to a compiled `x.js` next to it (jsii writes
 * `.js` beside the sources in lib/): `.ts` is moved to the front of the extension list.
 */
function register() {
  const extensions = Module._extensions;
  if (extensions['.ts']) return;
  const rest = Object.entries(extensions);
  for (const [ext] of rest) delete extensions[ext];
  extensions['.ts'] = (module, filename) => {
    module._compile(transformTypeScript(readFileSync(filename, 'utf8'), filename).code, filename);
  };
  for (const [ext, loader] of rest) extensions[ext] = loader;
}

module.exports = { transformTypeScript, cacheKey, register };

// ESLint flat config: typescript-eslint's recommended rules, no `any`, and the dependency rules of
// ARCHITECTURE.md enforced with import-x/no-restricted-paths so the layering survives.
import { readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

/** Every `private/` folder under `dir`, except `lib/private` (the library's shared one). */
function privateFolders(dir) {
  return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.name === 'private') return path === join('lib', 'private') ? [] : [path];
    return privateFolders(path);
  });
}

/**
 * A module's `private/` folder is its own: only the files of the module that holds it (its parent
 * folder and below) may import it. One zone per private folder, whose targets are everything on the
 * way from lib/ to that module that is not the module: `lib/gateway/tenant-keys/private` may be
 * imported from `lib/gateway/tenant-keys/**` only.
 */
function privateZones() {
  return privateFolders('lib').map((folder) => {
    const owner = dirname(folder);
    const targets = [];
    let parent = 'lib';
    for (const part of relative('lib', owner).split(sep)) {
      targets.push(`./${parent}/*.ts`);
      for (const e of readdirSync(parent, { withFileTypes: true })) {
        if (e.isDirectory() && e.name !== part) targets.push(`./${join(parent, e.name)}`);
      }
      parent = join(parent, part);
    }
    return { target: targets, from: `./${folder}`, message: `${folder}/ belongs to ${owner}/: import it only from there (lib/private is the shared one).` };
  });
}

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'cdk.out/**', 'assets/**', 'dist/**', 'coverage/**', 'bench/node_modules/**',
      '**/*.d.ts', 'lib/**/*.js', 'lambda/shared/**/*.js', '.jsii'],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts', '**/*.mjs', '**/*.js'],
    plugins: { 'import-x': importX },
    // Without a resolver that knows .ts, import-x cannot resolve relative imports and skips them:
    // the zones below would never fire.
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.mts', '.js', '.mjs', '.json', '.node'] })] },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-restricted-paths': ['error', {
        zones: [
          // Runtime code never imports the construct library (packages: no-restricted-imports below).
          { target: './lambda', from: './lib', message: 'lambda/ code must not import lib/.' },
          { target: './cli', from: './lib', message: 'cli/ is runtime code: it must not import lib/.' },
          // lib/ may import only the shared, dependency-free config module from lambda/.
          { target: './lib', from: './lambda', except: ['./shared'], message: 'lib/ may import only lambda/shared.' },
          // The gateway depends on its targets, never the reverse.
          { target: './lib/bedrock', from: './lib/gateway' },
          { target: './lib/selfhosted', from: './lib/gateway' },
          // The shared config module stays dependency-free.
          { target: './lambda/shared', from: './lambda', except: ['./shared'] },
          // Providers never import each other.
          { target: './lambda/router/providers/bedrock', from: './lambda/router/providers/openai' },
          { target: './lambda/router/providers/openai', from: './lambda/router/providers/bedrock' },
          // A module's private/ folder is its own.
          ...privateZones(),
        ],
      }],
    },
  },
  {
    // Runtime code never imports the CDK or construct libraries. By package name, not by path: a
    // zone on node_modules/ resolves imports to their real path, which a symlinked node_modules hides.
    files: ['lambda/**/*.ts', 'cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{
        group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag', 'cdk-nag/*', '@aws-cdk/*', '@cdklabs/*'],
        message: 'lambda/ and cli/ are runtime code: they must not import the CDK or construct libraries.',
      }] }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

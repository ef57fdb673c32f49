// ESLint flat config: typescript-eslint's recommended rules, no `any`, and the dependency
// direction of STYLE.md enforced with import-x/no-restricted-paths so the layering survives.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'cdk.out/**', 'assets/**', 'dist/**', 'coverage/**', 'bench/node_modules/**',
      '**/*.d.ts', 'lib/**/*.js', 'lambda/shared/**/*.js', '.jsii'],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts', '**/*.mjs', '**/*.js'],
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-restricted-paths': ['error', {
        zones: [
          // Runtime code never imports the CDK or the construct library.
          { target: './lambda', from: './lib', message: 'lambda/ code must not import lib/.' },
          { target: './lambda', from: './node_modules/aws-cdk-lib', message: 'lambda/ code must not import aws-cdk-lib.' },
          { target: './lambda', from: './node_modules/constructs', message: 'lambda/ code must not import constructs.' },
          { target: './cli', from: './lib', message: 'cli/ is runtime code: it must not import lib/.' },
          { target: './cli', from: './node_modules/aws-cdk-lib', message: 'cli/ must not import aws-cdk-lib.' },
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
        ],
      }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

/**
 * Fixture apps of the prompt suites' compliance tests, synthesized once per run by the shared
 * synthesis (test/helpers/synthesis). Not a test file: the synthesis server loads it with its TypeScript require hook.
 */
import { App, Stack } from 'aws-cdk-lib';
import { PromptRole } from '../../lambda/shared/config';
import { PromptCanaryRollback } from '../../lib/prompts/prompt-canary-rollback';
import { PromptRegistry } from '../../lib/prompts/prompt-registry';
import { rollbackParts } from './canary-rollback-fixtures';

const ENV = { account: '111122223333', region: 'eu-west-1' };

/** A stack holding only the registry, its key and its Prompt Management prompts. */
export function promptRegistryApp(app: App): void {
  const stack = new Stack(app, 'Prompts', { env: ENV });
  new PromptRegistry(stack, 'Prompts', {
    prompts: [{
      id: 'support-reply',
      versions: [
        { version: 1, system: 'You support {{product}}.', variables: [{ name: 'product' }], routes: ['support'] },
        { version: 2, system: 'You support {{product}}.', messages: [{ role: PromptRole.USER, content: 'Hi' }], variables: [{ name: 'product' }], routes: ['support'] },
      ],
      labels: { prod: { version: 1 }, canary: { weights: { 1: 90, 2: 10 } } },
    }],
  });
}

/** A registry, a usage table and a canary rollback of one label. */
export function promptCanaryRollbackApp(app: App): void {
  const stack = new Stack(app, 'Rollback', { env: ENV });
  new PromptCanaryRollback(stack, 'CanaryRollback', {
    ...rollbackParts(stack),
    canaries: [{ promptId: 'support-reply', label: 'canary', maxCostPerRequestUsd: 0.02 }],
  });
}

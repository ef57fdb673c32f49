/** A stack with a registry, a usage table and a canary rollback, for the rollback construct tests. */
import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PromptRole } from '../../lambda/shared/config';
import { PromptCanaryRollback, PromptCanaryRollbackProps } from '../../lib/prompts/prompt-canary-rollback';
import { PromptRegistry } from '../../lib/prompts/prompt-registry';
import { UsageTable } from '../../lib/usage/usage-table';

export function rollbackParts(scope: Construct): { registry: PromptRegistry; usageTable: UsageTable } {
  const registry = new PromptRegistry(scope, 'Prompts', {
    prompts: [{
      id: 'support-reply',
      versions: [1, 2, 3].map((version) => ({
        version, system: `You support {{product}} (v${version}).`, messages: [{ role: PromptRole.USER, content: 'Hi' }],
        variables: [{ name: 'product' }], routes: ['support'],
      })),
      labels: { prod: { version: 2 }, canary: { weights: { 2: 90, 3: 10 } }, beta: { version: 3 } },
    }],
  });
  return { registry, usageTable: new UsageTable(scope, 'Usage') };
}

export function rollbackStack(props: Partial<PromptCanaryRollbackProps> = {}): { stack: Stack; rollback: PromptCanaryRollback } {
  const stack = new Stack(undefined, 'Rollback', { env: { account: '111122223333', region: 'eu-west-1' } });
  const parts = rollbackParts(stack);
  const rollback = new PromptCanaryRollback(stack, 'CanaryRollback', {
    ...parts,
    canaries: [{ promptId: 'support-reply', label: 'canary', maxCostPerRequestUsd: 0.02 }],
    ...props,
  });
  return { stack, rollback };
}

/**
 * Prompt configurations for prompt tests: the router test configuration plus two prompts, one with
 * a prod label and a canary split.
 */
import { GatewayConfig, PromptConfig, PromptRole, PromptVariableType } from '../../lambda/shared/config';
import { ResolvedGatewayConfig } from '../../lambda/shared/defaults';
import { Endpoints, resolved, testConfig } from '../helpers/router-config';

export const SUPPORT_PROMPT: PromptConfig = {
  id: 'support-reply',
  description: 'Answers a support ticket',
  versions: [
    {
      version: 1,
      system: 'You are the support agent of {{product}}. Be brief.',
      messages: [{ role: PromptRole.USER, content: 'Ticket:\n{{ticket}}' }],
      variables: [
        { name: 'product', maxLength: 100 },
        { name: 'ticket', maxLength: 200_000 },
      ],
      inference: { maxTokens: 256, temperature: 0.2 },
      routes: ['chat'],
    },
    {
      version: 2,
      system: 'You are the support agent of {{product}}. Answer in {{tone}} tone.',
      messages: [
        { role: PromptRole.USER, content: 'Ticket:\n{{ticket}}' },
        { role: PromptRole.ASSISTANT, content: 'Understood.' },
        { role: PromptRole.USER, content: 'Priority {{priority}}.' },
      ],
      variables: [
        { name: 'product', maxLength: 100 },
        { name: 'ticket', maxLength: 200_000 },
        { name: 'tone', required: false, defaultValue: 'friendly', allowedValues: ['friendly', 'formal'] },
        { name: 'priority', valueType: PromptVariableType.INTEGER },
      ],
      inference: { maxTokens: 512, temperature: 0.5, stopSequences: ['END'] },
      routes: ['chat', 'summary'],
    },
  ],
  labels: {
    prod: { version: 1 },
    canary: { weights: { 1: 90, 2: 10 } },
  },
};

export const CLASSIFY_PROMPT: PromptConfig = {
  id: 'classify',
  versions: [{ version: 1, system: 'Classify the message into one of: {{labels}}.', variables: [{ name: 'labels' }], routes: ['chat'] }],
};

/** The router test configuration with the two prompts; tenant `initech` may use only `classify`. */
export function promptConfig(endpoints: Endpoints = {}): GatewayConfig {
  const base = testConfig(endpoints);
  return {
    ...base,
    tenants: base.tenants.map((t) => (t.id === 'initech' ? { ...t, allowedPrompts: ['classify'] } : t)),
    prompts: [SUPPORT_PROMPT, CLASSIFY_PROMPT],
  };
}

/** A system-only prompt with versions 3 and 4, for tests that only need a prompt to attribute to. */
export const GREET_PROMPT: PromptConfig = {
  id: 'greet',
  versions: [3, 4].map((version) => ({ version, system: `Greet warmly (v${version}).`, routes: ['chat'] })),
};

/** The router test configuration with the `greet` prompt. */
export function greetConfig(): ResolvedGatewayConfig {
  return resolved({ ...testConfig(), prompts: [GREET_PROMPT] });
}

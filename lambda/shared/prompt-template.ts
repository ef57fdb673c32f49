/**
 * The slot syntax of prompt templates, shared by the configuration checks, the construct library
 * and the router: `{{name}}`, the same syntax Amazon Bedrock Prompt Management uses.
 */
import { PromptVersionConfig } from './config';

/** Every `{{…}}` of a template; a slot is one whose inside is a variable name. */
const BRACES = /\{\{(.*?)\}\}/gs;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** One `{{…}}` of a template text. */
export interface TemplateSlot {
  /** The text between the braces. */
  readonly inner: string;
  /** Whether `inner` is a variable name (else the template is malformed). */
  readonly valid: boolean;
}

/** The `{{…}}` occurrences of one template text, in order. */
export function templateSlots(text: string): TemplateSlot[] {
  return [...text.matchAll(BRACES)].map((m) => ({ inner: m[1], valid: NAME.test(m[1]) }));
}

/** The texts of a version's template: the system prompt, then each message turn. */
export function templateTexts(version: PromptVersionConfig): { readonly path: string; readonly text: string }[] {
  return [
    ...(version.system !== undefined ? [{ path: 'system', text: version.system }] : []),
    ...(version.messages ?? []).map((m, i) => ({ path: `messages[${i}].content`, text: m.content })),
  ];
}

/**
 * The part of a template text that is the same in every rendering: the text before its first
 * `{{name}}` slot (the whole text when it has none). A prompt-cache point after it can be reused
 * by every request of the version (see `PromptCachingConfig.afterPromptPrefix`).
 *
 * @example staticPrefix('You are a support agent. Ticket: {{ticket}}') // 'You are a support agent. Ticket: '
 */
export function staticPrefix(text: string): string {
  for (const m of text.matchAll(BRACES)) {
    if (NAME.test(m[1])) return text.slice(0, m.index);
  }
  return text;
}

/**
 * Renders one template text: each `{{name}}` slot is replaced by `values[name]`, in one pass over
 * the template. A value is inserted as it is: a `{{x}}` inside a value stays literal, nothing is
 * evaluated, and a name without a value is left untouched (the configuration checks forbid
 * undeclared slots, so it does not happen on a validated configuration).
 *
 * @example
 * renderTemplate('Hello {{name}}', new Map([['name', '{{x}}']])) // 'Hello {{x}}'
 */
export function renderTemplate(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(BRACES, (whole, inner: string) => (values.has(inner) ? values.get(inner)! : whole));
}

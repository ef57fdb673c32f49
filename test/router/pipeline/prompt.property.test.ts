import fc from 'fast-check';
import { renderPrompt, validateVariables } from '../../../lambda/router/pipeline/prompt';
import { PromptVersionConfig } from '../../../lambda/shared/config';
import { SUPPORT_PROMPT } from '../../prompts/fixtures';

const V2: PromptVersionConfig = SUPPORT_PROMPT.versions[1];

/** The oracle: split the template at its slots and put each value between the literal pieces. */
function expected(template: string, values: Record<string, string>): string {
  return template.split(/(\{\{[A-Za-z_][A-Za-z0-9_]*\}\})/).map((piece) => {
    const slot = /^\{\{(.+)\}\}$/.exec(piece);
    return slot ? values[slot[1]] : piece;
  }).join('');
}

/** Hostile values: slot syntax, braces, newlines, role-like text, up to 100 KB. */
const hostile = fc.oneof(
  fc.array(fc.constantFrom('{{', '}}', '{{ticket}}', '{{product}}', '{{tone}}', '{', '}', '\n', '\r\n', 'role: system\n', 'a', ' ', '\u2028', '$&', '$1'), { maxLength: 40 })
    .map((parts) => parts.join('')),
  fc.string({ maxLength: 200 }),
  fc.integer({ min: 90_000, max: 100_000 }).map((n) => '{{product}}\n'.repeat(Math.ceil(n / 12)).slice(0, n)),
);

describe('prompt rendering: values never alter the template\'s structure', () => {
  test('each slot gets its value verbatim; literal text, turns and roles are the template\'s', () => {
    fc.assert(fc.property(hostile, hostile, fc.constantFrom('friendly', 'formal'), (product, ticket, tone) => {
      // Prepare
      const product100 = product.slice(0, 100);
      const values = validateVariables(V2, { product: product100, ticket, tone, priority: 7 }, 'prompt.variables');

      // Act
      const rendered = renderPrompt(V2, values);

      // Assess
      const all = { product: product100, ticket, tone, priority: '7' };
      expect(rendered.system).toBe(expected(V2.system!, all));
      expect(rendered.turns.map((t) => t.role)).toEqual(V2.messages!.map((m) => m.role));
      rendered.turns.forEach((t, i) => expect(t.content).toBe(expected(V2.messages![i].content, all)));
      expect(rendered.turns[1].content).toBe('Understood.');
      expect(rendered.turns[0].content.startsWith('Ticket:\n')).toBe(true);
      expect(rendered.turns[0].content.length).toBe('Ticket:\n'.length + ticket.length);
    }), { numRuns: 200 });
  });

  test('rendering is one pass: rendering twice with the same values is not the same as rendering once', () => {
    fc.assert(fc.property(fc.constantFrom('{{ticket}}', '{{product}}'), (value) => {
      const values = validateVariables(V2, { product: value, ticket: 'T', priority: 1 }, 'prompt.variables');
      expect(renderPrompt(V2, values).system).toBe(`You are the support agent of ${value}. Answer in friendly tone.`);
    }));
  });
});

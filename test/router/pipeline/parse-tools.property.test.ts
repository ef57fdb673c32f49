/**
 * Properties of the tool fields' parsing: any value of `tools`, `tool_choice`,
 * `parallel_tool_calls`, `tool_calls` or a `tool` message either parses into the canonical shape or
 * is refused with a 400 whose `param` names the field at fault; never another error.
 */
import fc from 'fast-check';
import { GatewayError, InvalidRequestError } from '../../../lambda/router/errors';
import { parseChatRequest } from '../../../lambda/router/pipeline/parse';
import { MAX_TOOLS, TOOL_NAME_PATTERN } from '../../../lambda/router/pipeline/parse-tools';
import { thrownBy } from '../../helpers/router-config';

const limits = { maxBodyBytes: 1_048_576, maxMessages: 16, maxMessageChars: 2000, maxTokensCap: 1000, maxImageBytes: 1024, maxImagesPerRequest: 2, maxImageBytesPerRequest: 2048 };
const parse = (v: unknown) => parseChatRequest(Buffer.from(JSON.stringify(v)), undefined, limits);
const question = { role: 'user', content: 'Hi' };
const validName = fc.stringMatching(/^[a-zA-Z0-9_-]{1,64}$/);
const anyJson = fc.jsonValue({ maxDepth: 3 });
const tool = (name: string) => ({ type: 'function', function: { name, parameters: { type: 'object', properties: {} } } });

/** Parses, or returns the 400's param; any other error fails the property. */
function outcome(body: unknown): { ok: true; value: ReturnType<typeof parse> } | { ok: false; param: string } {
  try {
    return { ok: true, value: parse(body) };
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidRequestError);
    const param = (e as GatewayError).param;
    expect(typeof param).toBe('string');
    return { ok: false, param: param! };
  }
}

describe('tools and tool_choice', () => {
  test('valid tools and choices parse to the canonical shape', () => {
    fc.assert(fc.property(fc.uniqueArray(validName, { minLength: 1, maxLength: 8 }), fc.nat(), fc.constantFrom('auto', 'none', 'required', 'named'), fc.option(fc.boolean()),
      (names, pick, choiceKind, parallel) => {
        const named = names[pick % names.length];
        const tool_choice = choiceKind === 'named' ? { type: 'function', function: { name: named } } : choiceKind;
        const request = parse({ model: 'm', messages: [question], tools: names.map(tool), tool_choice, ...(parallel !== null ? { parallel_tool_calls: parallel } : {}) });
        expect(request.tools?.tools.map((t) => t.name)).toEqual(names);
        expect(request.tools?.choice).toEqual(choiceKind === 'named' ? { type: 'function', name: named } : { type: choiceKind });
        expect(request.tools?.parallel).toBe(parallel ?? undefined);
      }));
  });

  test('arbitrary values are parsed or refused naming tools, tool_choice or parallel_tool_calls', () => {
    fc.assert(fc.property(fc.oneof(anyJson, fc.array(fc.oneof(anyJson, validName.map(tool)), { maxLength: 4 })), anyJson, anyJson, (tools, choice, parallel) => {
      const result = outcome({ model: 'm', messages: [question], tools, tool_choice: choice, parallel_tool_calls: parallel });
      if (!result.ok) expect(result.param).toMatch(/^(tools|tool_choice|parallel_tool_calls)\b/);
      else for (const t of result.value.tools?.tools ?? []) expect(t.name).toMatch(TOOL_NAME_PATTERN);
    }));
  });

  test('names outside ^[a-zA-Z0-9_-]{1,64}$ are refused, naming the tool', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }).filter((n) => !TOOL_NAME_PATTERN.test(n)), (name) => {
      expect(outcome({ model: 'm', messages: [question], tools: [tool(name)] })).toEqual({ ok: false, param: 'tools[0].function.name' });
    }));
  });

  test(`more than ${MAX_TOOLS} tools are refused; ${MAX_TOOLS} are accepted`, () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => tool(`t${i}`));
    expect(parse({ model: 'm', messages: [question], tools: many(MAX_TOOLS) }).tools?.tools).toHaveLength(MAX_TOOLS);
    expect(thrownBy(InvalidRequestError, () => parse({ model: 'm', messages: [question], tools: many(MAX_TOOLS + 1) })).code).toBe('too_many_tools');
  });

  test('a named tool_choice must name a tool; tool_choice needs tools; legacy functions are refused', () => {
    expect(outcome({ model: 'm', messages: [question], tools: [tool('a')], tool_choice: { type: 'function', function: { name: 'b' } } })).toEqual({ ok: false, param: 'tool_choice.function.name' });
    expect(outcome({ model: 'm', messages: [question], tool_choice: 'required' })).toEqual({ ok: false, param: 'tool_choice' });
    expect(outcome({ model: 'm', messages: [question], functions: [{ name: 'a' }] })).toEqual({ ok: false, param: 'functions' });
    expect(outcome({ model: 'm', messages: [question], function_call: 'auto' })).toEqual({ ok: false, param: 'function_call' });
  });
});

describe('tool calls and tool messages', () => {
  const call = (id: string, args: string) => ({ id, type: 'function', function: { name: 'f', arguments: args } });

  test('arguments that are not a JSON object encoded as a string are refused, naming the call', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), anyJson.map((v) => JSON.stringify(v)), anyJson), (args) => {
      const body = { model: 'm', messages: [question, { role: 'assistant', content: null, tool_calls: [call('c', args as string)] }, { role: 'tool', tool_call_id: 'c', content: 'r' }] };
      const result = outcome(body);
      let object = false;
      try {
        const v: unknown = typeof args === 'string' ? JSON.parse(args) : undefined;
        object = typeof v === 'object' && v !== null && !Array.isArray(v);
      } catch { /* not JSON */ }
      if (object) expect(result.ok).toBe(true);
      else expect(result).toEqual({ ok: false, param: expect.stringMatching(/^messages\[1\]\.tool_calls\[0\]\.function\.arguments$/) });
    }));
  });

  test('tool results become the next user turn; every call needs its answer before another message', () => {
    const request = parse({ model: 'm', messages: [question, { role: 'assistant', content: null, tool_calls: [call('a', '{}'), call('b', '{}')] },
      { role: 'tool', tool_call_id: 'b', content: '2' }, { role: 'tool', tool_call_id: 'a', content: '1' }, { role: 'user', content: 'thanks' }] });
    expect(request.messages).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'a', name: 'f', arguments: '{}' }, { id: 'b', name: 'f', arguments: '{}' }] },
      { role: 'user', content: 'thanks', toolResults: [{ toolCallId: 'b', content: '2' }, { toolCallId: 'a', content: '1' }] },
    ]);
    expect(outcome({ model: 'm', messages: [question, { role: 'assistant', content: null, tool_calls: [call('a', '{}')] }, question] }))
      .toEqual({ ok: false, param: 'messages[2]' });
    expect(outcome({ model: 'm', messages: [question, { role: 'assistant', content: null, tool_calls: [call('a', '{}')] }] }))
      .toEqual({ ok: false, param: 'messages' });
  });
});

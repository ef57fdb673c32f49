import { fromConverseOutput, toConverseInput } from '../../../../lambda/router/providers/bedrock/mapping';
import { ToolUseStream } from '../../../../lambda/router/providers/bedrock/tool-stream';
import { bedrockToolUseId } from '../../../../lambda/router/providers/bedrock/tools';
import type { BedrockTarget, ToolRequest } from '../../../../lambda/router/providers/types';
import { providerRequest } from '../helpers';

const target: BedrockTarget = { kind: 'bedrock', id: 'b', modelId: 'amazon.nova-lite-v1:0' };
const tools: ToolRequest = { tools: [{ name: 'lookup', description: 'Find', parameters: { type: 'object' } }], choice: { type: 'auto' } };
const schema = { type: 'object', properties: { a: { type: 'string' } } };

describe('Converse tool mapping', () => {
  test.each<[ToolRequest['choice'], unknown]>([
    [{ type: 'auto' }, { auto: {} }], [{ type: 'required' }, { any: {} }], [{ type: 'function', name: 'lookup' }, { tool: { name: 'lookup' } }],
  ])('tool_choice %j → toolChoice %j', (choice, expected) => {
    const input = toConverseInput(target, providerRequest({ tools: { ...tools, choice } }));
    expect(input.toolConfig).toEqual({ tools: [{ toolSpec: { name: 'lookup', description: 'Find', inputSchema: { json: { type: 'object' } } } }], toolChoice: expected });
  });

  test('client tools with a json_schema: the response tool is added and the model must call one of them', () => {
    const input = toConverseInput(target, providerRequest({ tools, responseFormat: { type: 'json_schema', name: 'answer', schema } }));
    expect(input.toolConfig?.tools?.map((t) => t.toolSpec?.name)).toEqual(['lookup', 'answer']);
    expect(input.toolConfig?.toolChoice).toEqual({ any: {} });
  });

  test('ids Bedrock refuses are replaced by the same stable id in the call and its result', () => {
    const odd = 'call.1:x';
    const input = toConverseInput(target, providerRequest({
      tools,
      messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: '', toolCalls: [{ id: odd, name: 'lookup', arguments: '{}' }] },
        { role: 'user', content: '', toolResults: [{ toolCallId: odd, content: '' }] }],
    }));
    const id = bedrockToolUseId(odd);
    expect(id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(input.messages?.[1].content).toEqual([{ toolUse: { toolUseId: id, name: 'lookup', input: {} } }]);
    expect(input.messages?.[2].content).toEqual([{ toolResult: { toolUseId: id, content: [{ json: {} }] } }]);
  });

  test('the forced response tool\'s input is the answer; text around it is dropped', () => {
    const request = providerRequest({ responseFormat: { type: 'json_schema', name: 'answer', schema } });
    const completion = fromConverseOutput(target, request, {
      output: { message: { role: 'assistant', content: [{ text: 'Sure:' }, { toolUse: { toolUseId: 't', name: 'answer', input: { a: 'x' } } }] } },
      stopReason: 'tool_use', usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
    });
    expect(completion).toMatchObject({ text: '{"a":"x"}', finishReason: 'stop' });
    expect(completion.toolCalls).toBeUndefined();
  });
});

describe('ConverseStream tool use', () => {
  test('opens each call with the next index, id and name; fragments carry the index only', () => {
    const s = new ToolUseStream(target, providerRequest({ tools }));
    expect(s.start(1, { toolUseId: 't1', name: 'lookup' })).toEqual({ type: 'tool_call', index: 0, id: 't1', name: 'lookup', arguments: '' });
    expect(s.delta(1, '{"q":')).toEqual({ type: 'tool_call', index: 0, arguments: '{"q":' });
    expect(s.start(2, { toolUseId: 't2', name: 'lookup' })).toMatchObject({ index: 1 });
    expect(s.calls).toBe(2);
  });

  test('parallel_tool_calls false drops calls after the first; the response tool streams as text', () => {
    const single = new ToolUseStream(target, providerRequest({ tools: { ...tools, parallel: false } }));
    single.start(1, { toolUseId: 't1', name: 'lookup' });
    expect(single.start(2, { toolUseId: 't2', name: 'lookup' })).toBeUndefined();
    expect(single.delta(2, '{}')).toBeUndefined();
    const structured = new ToolUseStream(target, providerRequest({ responseFormat: { type: 'json_schema', name: 'answer', schema } }));
    expect(structured.passesText()).toBe(false);
    expect(structured.start(0, { toolUseId: 't', name: 'answer' })).toBeUndefined();
    expect(structured.delta(0, '{"a"')).toEqual({ type: 'text', text: '{"a"' });
  });
});

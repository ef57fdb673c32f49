/**
 * Tools and enforced structured outputs, end to end: the official `openai` client (its stream
 * helpers and `chat.completions.parse` with a zod schema) → local mode → the real adapters →
 * the loopback Bedrock and vLLM fakes. Each case checks what the client saw, what the upstream
 * received and that the request left exactly one usage record.
 */
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { LocalServer, startLocalServer } from '../../../lambda/router/local/server';
import { createGateway } from '../../../lambda/router/runtime';
import { TargetKind } from '../../../lambda/shared/config';
import { resolveGatewayConfig } from '../../../lambda/shared/defaults';
import { GatewayConfigValidator } from '../../../lambda/shared/validator';
import { BedrockBehaviours, startFakeBedrockRuntime, type FakeBedrockRuntime } from '../../helpers/fake-bedrock-runtime';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { InMemoryUsageSink } from '../../helpers/in-memory-usage-sink';
import { apiError, records as recordsOf } from '../../helpers/openai-e2e';
import { ACME_KEY, FAKE_AWS_ENV, setEnv, testConfig } from '../../helpers/router-config';

const weatherTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  },
};
const question: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'Weather in Paris?' };

let bedrock: FakeBedrockRuntime;
let vllm: FakeOpenAiUpstream;
let server: LocalServer;
let usage: InMemoryUsageSink;
let client: OpenAI;
let restoreEnv: () => void;

beforeAll(async () => {
  restoreEnv = setEnv(FAKE_AWS_ENV);
  bedrock = await startFakeBedrockRuntime();
  vllm = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
  const base = testConfig({ bedrock: bedrock.endpoint, openai: vllm.baseUrl });
  const config = {
    ...base,
    targets: [
      ...base.targets,
      { id: 'vllm-tools', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: vllm.baseUrl, model: 'qwen3-8b', capabilities: { tools: true } },
    ],
    routes: [...base.routes, { alias: 'agent', targets: ['vllm-tools'] }],
    tenants: base.tenants.map((t) => (t.id === 'acme' ? { ...t, allowedAliases: [...t.allowedAliases, 'agent'] } : t)),
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5 },
  };
  usage = new InMemoryUsageSink();
  const gateway = createGateway(resolveGatewayConfig(GatewayConfigValidator.validate(config)), { usageSink: usage });
  server = await startLocalServer({ gateway, port: 0 });
  client = new OpenAI({ baseURL: server.baseUrl, apiKey: ACME_KEY, maxRetries: 0, timeout: 10_000 });
});

afterAll(async () => {
  await server.close();
  await bedrock.close();
  await vllm.close();
  restoreEnv();
});

beforeEach(() => {
  bedrock.reset();
  vllm.reset();
  usage.clear();
});


/** The usage records, once `n` have been written. */
const records = (n: number) => recordsOf(usage, n);

const toolUse = { toolUseId: 'tooluse_1', name: 'get_weather', input: { city: 'Paris' } };

describe('tools on Bedrock (the chat route skips vLLM, which has no tool capability)', () => {
  test('a two-turn tool call as JSON: tool_calls out, the tool result back in as a toolResult block', async () => {
    bedrock.enqueue(BedrockBehaviours.success({ text: '', toolUses: [toolUse], usage: { inputTokens: 40, outputTokens: 12 } }));
    const first = await client.chat.completions.create({ model: 'chat', messages: [question], tools: [weatherTool], tool_choice: 'required' });
    const choice = first.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([{ id: 'tooluse_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
    expect(bedrock.lastRequest().body).toMatchObject({
      toolConfig: { tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: weatherTool.function.parameters } } }], toolChoice: { any: {} } },
    });
    expect(vllm.requests).toHaveLength(0);

    bedrock.enqueue(BedrockBehaviours.success({ text: 'It is 18°C in Paris.' }));
    const second = await client.chat.completions.create({
      model: 'chat', tools: [weatherTool],
      messages: [question, choice.message, { role: 'tool', tool_call_id: 'tooluse_1', content: '18°C' }],
    });
    expect(second.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'It is 18°C in Paris.' } });
    expect(bedrock.lastRequest().body).toMatchObject({
      messages: [
        { role: 'user', content: [{ text: 'Weather in Paris?' }] },
        { role: 'assistant', content: [{ toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: { city: 'Paris' } } }] },
        { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_1', content: [{ text: '18°C' }] } }] },
      ],
    });
    const recs = await records(2);
    expect(recs.map((r) => r.outcome)).toEqual(['success', 'success']);
    expect(recs[0]).toMatchObject({ inputTokens: 40, outputTokens: 12 });
  });

  test('streamed: the SDK stream helper assembles the tool call from ConverseStream tool use events', async () => {
    bedrock.enqueue(BedrockBehaviours.success({ text: 'Let me check.', toolUses: [toolUse, { ...toolUse, toolUseId: 'tooluse_2', input: { city: 'Oslo' } }] }));
    const stream = client.chat.completions.stream({ model: 'chat', messages: [question], tools: [weatherTool] });
    const done: string[] = [];
    stream.on('tool_calls.function.arguments.done', (e) => done.push(e.arguments));
    const final = await stream.finalChatCompletion();
    expect(final.choices[0].finish_reason).toBe('tool_calls');
    expect(final.choices[0].message.content).toBe('Let me check.');
    expect(final.choices[0].message.tool_calls?.map((c) => [c.id, c.type === 'function' ? c.function.arguments : ''])).toEqual([
      ['tooluse_1', '{"city":"Paris"}'], ['tooluse_2', '{"city":"Oslo"}'],
    ]);
    expect(done).toEqual(['{"city":"Paris"}', '{"city":"Oslo"}']);
    expect(bedrock.lastRequest().operation).toBe('converseStream');
    await records(1);
  });

  test('parallel_tool_calls: false keeps the first call only', async () => {
    bedrock.enqueue(BedrockBehaviours.success({ text: '', toolUses: [toolUse, { ...toolUse, toolUseId: 'tooluse_2' }] }));
    const data = await client.chat.completions.create({ model: 'chat', messages: [question], tools: [weatherTool], parallel_tool_calls: false });
    expect(data.choices[0].message.tool_calls?.map((c) => c.id)).toEqual(['tooluse_1']);
  });

  test("tool_choice 'none' sends no toolConfig: the tool history goes as text", async () => {
    bedrock.enqueue(BedrockBehaviours.success({ text: 'Done.' }));
    await client.chat.completions.create({
      model: 'summary', tools: [weatherTool], tool_choice: 'none',
      messages: [question, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' }],
    });
    const body = bedrock.lastRequest().body as { toolConfig?: unknown; messages: { content: { text?: string }[] }[] };
    expect(body.toolConfig).toBeUndefined();
    expect(body.messages[2].content[0].text).toContain('sunny');
  });
});

describe('tools on vLLM (a target with the tools capability): passed through', () => {
  test('a streamed tool call, its deltas as vLLM sent them', async () => {
    vllm.enqueue(OpenAiBehaviours.success({ toolCalls: [{ id: 'chatcmpl-tool-1', name: 'get_weather', arguments: '{"city":"Paris"}' }] }));
    const final = await client.chat.completions.stream({ model: 'agent', messages: [question], tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'get_weather' } } }).finalChatCompletion();
    expect(final.choices[0].finish_reason).toBe('tool_calls');
    expect(final.choices[0].message.tool_calls?.[0]).toMatchObject({ id: 'chatcmpl-tool-1', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    expect(vllm.lastRequest().body).toMatchObject({ tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'get_weather' } } });
    await records(1);
  });

  test('the tool result turn is passed through as tool messages', async () => {
    vllm.enqueue(OpenAiBehaviours.success({ text: '18°C' }));
    const call = { id: 'c1', type: 'function' as const, function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };
    await client.chat.completions.create({
      model: 'agent', tools: [weatherTool], messages: [question, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: 'c1', content: '18' }],
    });
    expect((vllm.lastRequest().body as { messages: unknown[] }).messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', tool_call_id: 'c1', content: '18' },
    ]);
  });
});

describe('structured outputs', () => {
  const Verdict = z.object({ label: z.enum(['spam', 'ham']), confidence: z.number() });

  test('chat.completions.parse with a zod schema: enforced on Bedrock by a forced tool, parsed by the SDK', async () => {
    bedrock.enqueue(BedrockBehaviours.success({ text: '', toolUses: [{ toolUseId: 't1', name: 'verdict', input: { label: 'spam', confidence: 0.9 } }] }));
    const data = await client.chat.completions.parse({ model: 'summary', messages: [question], response_format: zodResponseFormat(Verdict, 'verdict') });
    expect(data.choices[0].message.parsed).toEqual({ label: 'spam', confidence: 0.9 });
    expect(data.choices[0].finish_reason).toBe('stop');
    expect(bedrock.lastRequest().body).toMatchObject({ toolConfig: { toolChoice: { tool: { name: 'verdict' } } } });
    await records(1);
  });

  test('an answer that does not match the schema: 422 response_schema_mismatch naming the path, not the content', async () => {
    bedrock.enqueue(BedrockBehaviours.success({ text: '', toolUses: [{ toolUseId: 't1', name: 'verdict', input: { label: 'secret-value', confidence: 0.9 } }] }));
    const error = await apiError(client.chat.completions.parse({ model: 'summary', messages: [question], response_format: zodResponseFormat(Verdict, 'verdict') }));
    expect(error.status).toBe(422);
    expect(error.code).toBe('response_schema_mismatch');
    expect(error.message).toContain('$.label');
    expect(error.message).not.toContain('secret-value');
    const [record] = await records(1);
    expect(record).toMatchObject({ errorCode: 'response_schema_mismatch', outputTokens: expect.any(Number) });
  });

  test('streamed on vLLM (guided decoding, response_format passed through): a mismatch ends the stream with the error event after the content', async () => {
    vllm.enqueue(OpenAiBehaviours.success({ deltas: ['{"label":', '"maybe","confidence":1}'] }));
    const stream = await client.chat.completions.create({ model: 'chat', messages: [question], response_format: zodResponseFormat(Verdict, 'verdict'), stream: true });
    let content = '';
    const error = await apiError((async () => {
      for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? '';
    })());
    expect(content).toBe('{"label":"maybe","confidence":1}');
    expect(error.message).toContain('response format');
    expect(vllm.lastRequest().body).toMatchObject({ response_format: { type: 'json_schema', json_schema: { name: 'verdict' } } });
    const [record] = await records(1);
    expect(record).toMatchObject({ outcome: 'stream_error', errorCode: 'response_schema_mismatch' });
  });

  test('json_object: an answer that is not a JSON object is refused', async () => {
    vllm.enqueue(OpenAiBehaviours.success({ text: 'not json' }));
    const error = await apiError(client.chat.completions.create({ model: 'chat', messages: [question], response_format: { type: 'json_object' } }));
    expect(error.status).toBe(422);
  });
});

describe('capabilities and limits', () => {
  test('a route without a tool-capable target: 400 naming the capability and the alias', async () => {
    const error = await apiError(client.chat.completions.create({ model: 'batch-only', messages: [question], tools: [weatherTool] }));
    expect(error.status).toBe(400);
    expect(error.code).toBe('capability_not_supported');
    expect(error.param).toBe('tools');
    expect(error.message).toContain("'batch-only'");
    expect(vllm.requests).toHaveLength(0);
    await records(1);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['10,000 tools', { tools: Array.from({ length: 10_000 }, (_, i) => ({ type: 'function', function: { name: `t${i}` } })) }, 'tools'],
    ['a schema 40 levels deep', {
      response_format: { type: 'json_schema', json_schema: { name: 'deep', schema: Array.from({ length: 40 }).reduce<Record<string, unknown>>((s) => ({ type: 'object', properties: { a: s } }), { type: 'string' }) } },
    }, 'response_format.json_schema.schema'],
    ['a schema whose $ref comes back to itself', {
      response_format: { type: 'json_schema', json_schema: { name: 'loop', schema: { $ref: '#/$defs/a', $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a' } } } } },
    }, 'response_format.json_schema.schema'],
    ['malformed tool arguments', {
      messages: [question, { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'get_weather', arguments: '{"city":' } }] },
        { role: 'tool', tool_call_id: 'c', content: 'x' }],
    }, 'messages[1].tool_calls[0].function.arguments'],
  ])('%s: a 400 naming the parameter, and the server healthy afterwards', async (_name, extra, param) => {
    const error = await apiError(client.chat.completions.create({ model: 'chat', messages: [question], ...extra } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming));
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    vllm.enqueue(OpenAiBehaviours.success({ text: 'fine' }));
    const ok = await client.chat.completions.create({ model: 'chat', messages: [question] });
    expect(ok.choices[0].message.content).toBe('fine');
    await records(2);
  });
});

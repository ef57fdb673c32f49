/**
 * Wire level, end to end, for the request surface beyond text: the official `openai` client →
 * local mode → the real adapters → the loopback Bedrock and vLLM fakes (and a loopback HTTPS image
 * host). Images (data URLs, fetched URLs, the capability, the limits), `models.retrieve`, prompt
 * caching with cache tokens priced, service tiers with tier prices, seed and penalties, logprobs.
 */
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { LocalServer, startLocalServer } from '../../../lambda/router/local/server';
import { createGateway } from '../../../lambda/router/runtime';
import { UsageRecord } from '../../../lambda/router/usage/types';
import { GatewayConfig, TargetKind } from '../../../lambda/shared/config';
import { ServiceTier } from '../../../lambda/shared/config-surface';
import { resolveGatewayConfig } from '../../../lambda/shared/defaults';
import { GatewayConfigValidator } from '../../../lambda/shared/validator';
import { BedrockBehaviours, startFakeBedrockRuntime, type FakeBedrockRuntime } from '../../helpers/fake-bedrock-runtime';
import { fakeTokenLogprob, OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { IMAGE_HOST, ImageHost, loopbackFetcher, startImageHost } from '../../helpers/image-host';
import { dataUrl, jpegBytes, pngBytes } from '../../helpers/images';
import { InMemoryUsageSink } from '../../helpers/in-memory-usage-sink';
import { apiError, records } from '../../helpers/openai-e2e';
import { ACME_KEY, FAKE_AWS_ENV, GLOBEX_KEY, setEnv, testConfig } from '../../helpers/router-config';

const SONNET = 'anthropic.claude-sonnet-4';
const PNG = pngBytes(300, 200); // 80 tokens by the estimate
const SYSTEM = 'You are a careful assistant. '.repeat(40);
/** A registry prompt's system template: a long static policy, then the customer's name. */
const POLICY = 'Refunds are possible within 30 days of purchase with a receipt. '.repeat(70);

function surfaceConfig(bedrock: string, vllm: string): GatewayConfig {
  const base = testConfig({ bedrock, openai: vllm });
  return {
    ...base,
    tenants: base.tenants.map((t) => (t.id === 'acme' ? { ...t, allowedAliases: [...t.allowedAliases, 'vision', 'vision-vllm', 'scored'] } : t)),
    targets: [
      ...base.targets,
      {
        id: 'bedrock-vision', kind: TargetKind.BEDROCK, modelId: SONNET, region: 'us-east-1', endpoint: bedrock,
        capabilities: { images: true, promptCaching: true, serviceTiers: [ServiceTier.FLEX, ServiceTier.PRIORITY] },
      },
      { id: 'vllm-vision', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: vllm, model: 'qwen2.5-vl', capabilities: { images: true } },
    ],
    routes: [
      ...base.routes,
      { alias: 'vision', targets: ['bedrock-vision'], promptCaching: { afterSystem: true }, imageFetch: { allowedHosts: [IMAGE_HOST] } },
      { alias: 'vision-vllm', targets: ['vllm-vision'] },
      // Bedrock first: a request with logprobs skips it for the vLLM target.
      { alias: 'scored', targets: ['bedrock-vision', 'vllm'] },
    ],
    prices: {
      ...base.prices,
      [SONNET]: { ...base.prices[SONNET], tierMultipliers: { flex: 0.5, priority: 1.75 } },
      'qwen2.5-vl': { inputUsdPer1K: 0.0001, outputUsdPer1K: 0.0002 },
    },
    prompts: [{
      id: 'policy-qa',
      versions: [{ version: 1, system: `${POLICY}Customer: {{customer}}`, variables: [{ name: 'customer' }], routes: ['vision'] }],
    }],
    limits: { maxBodyBytes: 6_291_456 },
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 10 },
    timeouts: { connectMs: 3000, totalMs: 10_000 },
  };
}


const imageQuestion = (url: string): ChatCompletionMessageParam[] => [{
  role: 'user',
  content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image_url', image_url: { url } }],
}];

describe('openai client → local gateway: images, models.retrieve, caching, service tiers', () => {
  let bedrock: FakeBedrockRuntime;
  let vllm: FakeOpenAiUpstream;
  let host: ImageHost;
  let server: LocalServer;
  let usage: InMemoryUsageSink;
  let restoreEnv: () => void;
  const client = (key = ACME_KEY): OpenAI => new OpenAI({ baseURL: server.baseUrl, apiKey: key, maxRetries: 0, timeout: 20_000 });

  beforeAll(async () => {
    restoreEnv = setEnv(FAKE_AWS_ENV);
    bedrock = await startFakeBedrockRuntime();
    vllm = await startFakeOpenAiUpstream({ models: ['qwen3-8b', 'qwen2.5-vl'] });
    host = await startImageHost((path, res) => {
      if (path === '/cat.jpg') return void res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpegBytes(640, 480));
      res.writeHead(404).end();
    });
    usage = new InMemoryUsageSink();
    const config = resolveGatewayConfig(GatewayConfigValidator.validate(surfaceConfig(bedrock.endpoint, vllm.baseUrl)));
    server = await startLocalServer({ gateway: createGateway(config, { usageSink: usage, imageFetcher: loopbackFetcher(host.port) }), port: 0 });
  });

  afterAll(async () => {
    await server.close();
    await bedrock.close();
    await vllm.close();
    await host.close();
    restoreEnv();
  });

  beforeEach(() => {
    bedrock.reset();
    vllm.reset();
    usage.clear();
  });

  describe('images', () => {
    test('an image question to Bedrock: a Converse image block with the bytes, the image in the reservation', async () => {
      bedrock.enqueue(BedrockBehaviours.success({ text: 'A cat.', usage: { inputTokens: 95, outputTokens: 3 } }));
      const answer = await client().chat.completions.create({ model: 'vision', messages: imageQuestion(dataUrl('png', PNG)), max_tokens: 50 });
      expect(answer.choices[0].message.content).toBe('A cat.');
      const body = bedrock.lastRequest().body as { messages: { content: unknown[] }[] };
      expect(body.messages[0].content).toEqual([
        { text: 'What is in this picture?' },
        { image: { format: 'png', source: { bytes: PNG.toString('base64') } } },
      ]);
      const [record] = await records(usage, 1);
      expect(record).toMatchObject({ outcome: 'success', inputTokens: 95, targetId: 'bedrock-vision' });
    });

    test('an image question to vLLM: the parts passed through as a data URL', async () => {
      vllm.enqueue(OpenAiBehaviours.success({ text: 'A cat.' }));
      await client().chat.completions.create({ model: 'vision-vllm', messages: imageQuestion(dataUrl('png', PNG)) });
      expect((vllm.lastRequest().body as { messages: unknown[] }).messages).toEqual([{
        role: 'user',
        content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image_url', image_url: { url: dataUrl('png', PNG) } }],
      }]);
    });

    test('an https URL of an allowed host: fetched by the gateway, sent as bytes', async () => {
      await client().chat.completions.create({ model: 'vision', messages: imageQuestion(`https://${IMAGE_HOST}:${host.port}/cat.jpg`) });
      const body = bedrock.lastRequest().body as { messages: { content: { image?: { format: string } }[] }[] };
      expect(body.messages[0].content[1].image?.format).toBe('jpeg');
      expect(host.hits).toContain('/cat.jpg');
    });

    test('an image URL on a route that does not fetch: 400 naming the part, nothing fetched or called', async () => {
      host.hits.length = 0;
      const error = await apiError(client().chat.completions.create({ model: 'vision-vllm', messages: imageQuestion(`https://${IMAGE_HOST}:${host.port}/cat.jpg`) }));
      expect({ status: error.status, code: error.code, param: error.param }).toEqual({ status: 400, code: 'image_url_not_allowed', param: 'messages[0].content[1].image_url.url' });
      expect(error.message).toContain('send the image as a base64 data URL');
      expect(host.hits).toEqual([]);
      expect(vllm.requests).toHaveLength(0);
    });

    test('an image to a model without the images capability: 400, no target called', async () => {
      const error = await apiError(client().chat.completions.create({ model: 'chat', messages: imageQuestion(dataUrl('png', PNG)) }));
      expect({ status: error.status, code: error.code, param: error.param }).toEqual({ status: 400, code: 'images_not_supported', param: 'messages' });
      expect(vllm.requests.length + bedrock.requests.length).toBe(0);
      const [record] = await records(usage, 1);
      expect(record.outcome).toBe('rejected');
    });

    test('a data URL whose bytes are not what it declares: 400 naming the part', async () => {
      const url = `data:image/png;base64,${jpegBytes(10, 10).toString('base64')}`;
      const error = await apiError(client().chat.completions.create({ model: 'vision', messages: imageQuestion(url) }));
      expect({ status: error.status, param: error.param }).toEqual({ status: 400, param: 'messages[0].content[1].image_url.url' });
      expect(error.message).toContain('declares image/png but the bytes are a jpeg image');
    });

    test('fuzz: a 4 MB image and a 30 MB one are 400s naming the part (the 30 MB body stops being read at the limit); the server answers after both', async () => {
      const four = dataUrl('png', Buffer.concat([PNG, Buffer.alloc(4 * 1024 * 1024)]));
      const tooBig = await apiError(client().chat.completions.create({ model: 'vision', messages: imageQuestion(four) }));
      expect({ status: tooBig.status, code: tooBig.code, param: tooBig.param }).toEqual({ status: 400, code: 'image_too_large', param: 'messages[0].content[1].image_url.url' });
      // 30 MB: over the 6 MB body limit. Uploading it takes a while on a loaded machine: no tight client timeout.
      const thirty = dataUrl('png', Buffer.concat([PNG, Buffer.alloc(30 * 1024 * 1024)]));
      const patient = new OpenAI({ baseURL: server.baseUrl, apiKey: ACME_KEY, maxRetries: 0, timeout: 170_000 });
      const huge = await apiError(patient.chat.completions.create({ model: 'vision', messages: imageQuestion(thirty) }));
      expect({ status: huge.status, code: huge.code, param: huge.param }).toEqual({ status: 400, code: 'image_too_large', param: 'messages[0].content[1].image_url.url' });
      expect(huge.message).toContain('6291456 bytes');
      expect(bedrock.requests).toHaveLength(0);
      const ok = await client().chat.completions.create({ model: 'vision', messages: imageQuestion(dataUrl('png', PNG)) });
      expect(ok.choices[0].message.content).toBeTruthy();
      const recorded = await records(usage, 3);
      expect(recorded.map((r) => r.status)).toEqual([400, 400, 200]);
    }, 180_000);
  });

  describe('models.retrieve', () => {
    test('an alias the tenant may use', async () => {
      const model = await client().models.retrieve('vision');
      expect(model).toMatchObject({ id: 'vision', object: 'model', owned_by: 'cdk-ai-gateway' });
    });

    test('another tenant\'s alias and an unknown id are the same 404, in OpenAI\'s shape', async () => {
      const other = await apiError(client(GLOBEX_KEY).models.retrieve('vision'));
      const unknown = await apiError(client(GLOBEX_KEY).models.retrieve('no-such-model'));
      expect(other).toBeInstanceOf(OpenAI.NotFoundError);
      expect({ code: other.code, param: other.param }).toEqual({ code: 'model_not_found', param: 'model' });
      expect(unknown.message.replace('no-such-model', 'vision')).toBe(other.message);
    });
  });

  describe('prompt caching and service tiers', () => {
    const ask = (tier?: 'flex' | 'priority' | 'default'): Promise<OpenAI.ChatCompletion> => client().chat.completions.create({
      model: 'vision',
      messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'Hello there' }],
      max_tokens: 20,
      ...(tier ? { service_tier: tier } : {}),
    });

    test('a cache point after the system prompt; the first call writes the cache, the second reads it, both priced', async () => {
      await ask();
      await ask();
      const system = (bedrock.requests[0].body as { system: unknown[] }).system;
      expect(system).toEqual([{ text: SYSTEM }, { cachePoint: { type: 'default' } }]);
      const [first, second] = await records(usage, 2);
      const prefix = Math.ceil(Buffer.byteLength(SYSTEM) / 4);
      expect(first).toMatchObject({ cacheWriteInputTokens: prefix, cacheReadInputTokens: 0 });
      expect(second).toMatchObject({ cacheWriteInputTokens: 0, cacheReadInputTokens: prefix });
      // input 3 × 0.003 + output × 0.015 + cache write × 0.00375 (first) or cache read × 0.0003 (second), per 1K
      const cost = (r: UsageRecord): number => (r.inputTokens * 0.003 + r.outputTokens * 0.015 + r.cacheWriteInputTokens * 0.00375 + r.cacheReadInputTokens * 0.0003) / 1000;
      expect(first.costUsd).toBeCloseTo(cost(first), 9);
      expect(second.costUsd).toBeCloseTo(cost(second), 9);
      expect(second.costUsd).toBeLessThan(first.costUsd);
    });

    test('a registry prompt: a cache point after its stable prefix, which a request with other variables reads from the cache', async () => {
      const askAs = (customer: string): Promise<OpenAI.ChatCompletion> => client().chat.completions.create(
        { model: 'vision', messages: [{ role: 'user', content: 'May I return my shoes?' }], max_tokens: 20 },
        { headers: { 'x-gateway-prompt': 'policy-qa@1', 'x-gateway-prompt-variables': JSON.stringify({ customer }) } },
      );
      await askAs('Ada');
      await askAs('Bob');
      const POINT = { cachePoint: { type: 'default' } };
      // The stable prefix: the template up to its first variable.
      const prefix = `${POLICY}Customer: `;
      expect((bedrock.requests[0].body as { system: unknown[] }).system).toEqual([{ text: prefix }, POINT, { text: 'Ada' }, POINT]);
      expect((bedrock.requests[1].body as { system: unknown[] }).system).toEqual([{ text: prefix }, POINT, { text: 'Bob' }, POINT]);
      const tokens = (text: string): number => Math.ceil(Buffer.byteLength(text) / 4);
      const [ada, bob] = await records(usage, 2);
      expect(ada).toMatchObject({ cacheReadInputTokens: 0, cacheWriteInputTokens: tokens(prefix) + tokens('Ada'), promptId: 'policy-qa' });
      // Bob's call reads the policy from the cache and writes only his name.
      expect(bob).toMatchObject({ cacheReadInputTokens: tokens(prefix), cacheWriteInputTokens: tokens('Bob') });
      expect(bob.costUsd).toBeLessThan(ada.costUsd);
    });

    test('service_tier priority: Converse serviceTier, the answer\'s service_tier, the tier price in the record', async () => {
      bedrock.enqueue(BedrockBehaviours.success({ text: 'Hi', usage: { inputTokens: 1000, outputTokens: 100, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 } }));
      const answer = await ask('priority');
      expect(answer.service_tier).toBe('priority');
      expect(bedrock.lastRequest().body).toMatchObject({ serviceTier: { type: 'priority' } });
      const [record] = await records(usage, 1);
      // (1000 × 0.003 + 100 × 0.015) / 1000 × 1.75
      expect(record).toMatchObject({ serviceTier: 'priority', costUsd: 0.007875 });
    });

    test('service_tier flex in a stream: every chunk says flex, and the record is at half price', async () => {
      bedrock.enqueue(BedrockBehaviours.success({ text: 'Hi there', usage: { inputTokens: 1000, outputTokens: 100, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 } }));
      const stream = await client().chat.completions.create({
        model: 'vision', messages: [{ role: 'user', content: 'Hello' }], stream: true, service_tier: 'flex',
      });
      const tiers = new Set<string | null | undefined>();
      for await (const chunk of stream) tiers.add(chunk.service_tier);
      expect([...tiers]).toEqual(['flex']);
      const [record] = await records(usage, 1);
      expect(record).toMatchObject({ serviceTier: 'flex', costUsd: 0.00225 });
    });

    test('a tier no target of the route offers: 400 naming service_tier', async () => {
      const error = await apiError(client().chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }], service_tier: 'priority' }));
      expect({ status: error.status, code: error.code, param: error.param }).toEqual({ status: 400, code: 'service_tier_not_offered', param: 'service_tier' });
    });
  });

  describe('logprobs', () => {
    const question: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Yes or no?' }];

    test('JSON: the Bedrock target is skipped, vLLM is asked for them, the answer carries them in OpenAI\'s shape', async () => {
      vllm.enqueue(OpenAiBehaviours.success({ deltas: ['Yes', ' indeed'] }));
      const answer = await client().chat.completions.create({ model: 'scored', messages: question, logprobs: true, top_logprobs: 2 });
      expect(vllm.lastRequest().body).toMatchObject({ logprobs: true, top_logprobs: 2 });
      expect(bedrock.requests).toHaveLength(0);
      expect(answer.choices[0].message.content).toBe('Yes indeed');
      expect(answer.choices[0].logprobs).toEqual({
        content: [fakeTokenLogprob('Yes', 0, 2), fakeTokenLogprob(' indeed', 1, 2)],
        refusal: null,
      });
      const [record] = await records(usage, 1);
      expect(record).toMatchObject({ outcome: 'success', targetId: 'vllm' });
    });

    test('stream: each content chunk carries its token\'s logprobs, as the openai SDK reads them', async () => {
      vllm.enqueue(OpenAiBehaviours.success({ deltas: ['Yes', ' indeed'] }));
      const stream = await client().chat.completions.create({ model: 'scored', messages: question, logprobs: true, top_logprobs: 1, stream: true });
      const tokens: unknown[] = [];
      let text = '';
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        tokens.push(...(chunk.choices[0]?.logprobs?.content ?? []));
      }
      expect(text).toBe('Yes indeed');
      expect(tokens).toEqual([fakeTokenLogprob('Yes', 0, 1), fakeTokenLogprob(' indeed', 1, 1)]);
    });

    test('without logprobs the Bedrock target serves, and the answer\'s logprobs is null', async () => {
      const answer = await client().chat.completions.create({ model: 'scored', messages: question });
      expect(answer.choices[0].logprobs).toBeNull();
      expect(bedrock.requests).toHaveLength(1);
      expect(vllm.requests).toHaveLength(0);
    });

    test('a route with only Bedrock targets: 400 capability_not_supported naming logprobs, no target called', async () => {
      const error = await apiError(client().chat.completions.create({ model: 'vision', messages: question, logprobs: true }));
      expect({ status: error.status, code: error.code, param: error.param }).toEqual({ status: 400, code: 'capability_not_supported', param: 'logprobs' });
      expect(error.message).toContain('token log probabilities');
      expect(bedrock.requests).toHaveLength(0);
    });
  });

  describe('sampling parameters', () => {
    test('seed and penalties reach vLLM; n > 1 is refused with a message that says so', async () => {
      await client().chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }], seed: 42, presence_penalty: 0.5, frequency_penalty: -0.5 });
      expect(vllm.lastRequest().body).toMatchObject({ seed: 42, presence_penalty: 0.5, frequency_penalty: -0.5 });
      const error = await apiError(client().chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }], n: 2 }));
      expect({ status: error.status, param: error.param }).toEqual({ status: 400, param: 'n' });
      expect(error.message).toContain('one choice per request');
    });
  });
});

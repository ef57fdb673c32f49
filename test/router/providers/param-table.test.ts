/**
 * The README's table "OpenAI parameters per provider" against the code: each row's verdict per
 * provider (mapped, passed, ignored, refused, skipped, gateway) is what the mapping, the parser
 * and routing do with that parameter.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidRequestError } from '../../../lambda/router/errors';
import { parseChatRequest } from '../../../lambda/router/pipeline/parse';
import { missingCapability } from '../../../lambda/router/pipeline/route';
import { toConverseInput } from '../../../lambda/router/providers/bedrock/mapping';
import { toChatCompletionsBody } from '../../../lambda/router/providers/openai/mapping';
import type { BedrockTarget, OpenAiTarget, ProviderRequest } from '../../../lambda/router/providers/types';
import { TargetCapability } from '../../../lambda/shared/config-capabilities';
import { CONFIG_DEFAULTS } from '../../../lambda/shared/defaults';
import { resolved } from '../../helpers/router-config';
import { providerRequest } from './helpers';

type Verdict = 'mapped' | 'passed' | 'ignored' | 'refused' | 'skipped' | 'gateway';
const VERDICTS: readonly string[] = ['mapped', 'passed', 'ignored', 'refused', 'skipped', 'gateway'];

/** The table's rows: each parameter named in the first cell → its verdict on Bedrock and on vLLM. */
function readTable(): Map<string, { bedrock: string; openai: string }> {
  const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
  const lines = readme.slice(readme.indexOf('#### OpenAI parameters per provider')).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const end = lines.findIndex((l, i) => i > first && !l.startsWith('|'));
  const table = new Map<string, { bedrock: string; openai: string }>();
  for (const row of lines.slice(first + 2, end)) { // after the header and the rule
    const [params, bedrock, openai] = row.split(' | ').map((c) => c.replace(/^\| |\s*\|$/g, ''));
    for (const param of params.match(/`[a-z_]+`/g) ?? []) table.set(param.replace(/`/g, ''), { bedrock, openai });
  }
  return table;
}

const verdictOf = (cell: string): string => cell.split(/[:;, ]/)[0];

const bedrock: BedrockTarget = { kind: 'bedrock', id: 'b', modelId: 'amazon.nova-lite-v1:0' };
const openai: OpenAiTarget = { kind: 'openai', id: 'o', baseUrl: 'http://vllm/v1', model: 'qwen3-8b' };

/**
 * Where a value set on the request lands on each provider, as a verdict: mapped when `value`
 * appears in the Converse input, passed when the chat completions body has `openAiKey`.
 */
function sent(overrides: Partial<ProviderRequest>, value: string, openAiKey: string): { bedrock: Verdict; openai: Verdict } {
  const converse = JSON.stringify(toConverseInput(bedrock, providerRequest(overrides)));
  const body = toChatCompletionsBody(openai, providerRequest(overrides), false);
  return { bedrock: converse.includes(value) ? 'mapped' : 'ignored', openai: openAiKey in body ? 'passed' : 'ignored' };
}

const limits = CONFIG_DEFAULTS.limits as Parameters<typeof parseChatRequest>[2];
const refusedBy = (body: Record<string, unknown>, param: string): Verdict => {
  try {
    parseChatRequest(Buffer.from(JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }], ...body })), undefined, limits);
  } catch (e) {
    if (e instanceof InvalidRequestError && e.param === param) return 'refused';
    throw e;
  }
  return 'passed';
};

describe('README: OpenAI parameters per provider', () => {
  const table = readTable();

  test('every parameter of the request surface has a row, with a verdict per provider', () => {
    for (const param of ['logprobs', 'top_logprobs', 'seed', 'presence_penalty', 'frequency_penalty', 'n', 'stop', 'temperature', 'top_p',
      'max_tokens', 'max_completion_tokens', 'service_tier', 'parallel_tool_calls', 'user', 'metadata', 'response_format', 'stream_options']) {
      const row = table.get(param);
      expect({ param, has: row !== undefined }).toEqual({ param, has: true });
      expect(VERDICTS).toContain(verdictOf(row!.bedrock));
      expect(VERDICTS).toContain(verdictOf(row!.openai));
    }
  });

  test.each<[string, () => { bedrock: Verdict; openai: Verdict }]>([
    ['temperature', () => sent({ temperature: 0.123 }, '"temperature":0.123', 'temperature')],
    ['top_p', () => sent({ topP: 0.456 }, '"topP":0.456', 'top_p')],
    ['stop', () => sent({ stop: ['END-OF-IT'] }, '"stopSequences":["END-OF-IT"]', 'stop')],
    ['max_tokens', () => sent({ maxTokens: 777 }, '"maxTokens":777', 'max_tokens')],
    ['seed', () => sent({ seed: 987654 }, '987654', 'seed')],
    ['presence_penalty', () => sent({ presencePenalty: 0.321 }, '0.321', 'presence_penalty')],
    ['frequency_penalty', () => sent({ frequencyPenalty: 0.654 }, '0.654', 'frequency_penalty')],
    ['n', () => ({ bedrock: refusedBy({ n: 2 }, 'n'), openai: refusedBy({ n: 2 }, 'n') })],
    ['logprobs', () => {
      const config = resolved();
      const request = { logprobs: { topLogprobs: 2 } };
      const skipped = (id: string): Verdict | undefined => (missingCapability(config.targets.get(id)!, request, false) === TargetCapability.LOGPROBS ? 'skipped' : undefined);
      return { bedrock: skipped('bedrock-nova') ?? 'mapped', openai: skipped('vllm') ?? sent(request, '"logprobs"', 'logprobs').openai };
    }],
  ])('%s: the verdicts of the table are the code\'s', (param, actual) => {
    const row = table.get(param)!;
    expect({ param, bedrock: verdictOf(row.bedrock), openai: verdictOf(row.openai) }).toEqual({ param, ...actual() });
  });
});

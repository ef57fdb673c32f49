/** A harness for the invoke and fallback stages: a plan over fake adapters, with recorded sleeps. */
import { InvokeContext } from '../../lambda/router/pipeline/invoke';
import { parseChatRequest } from '../../lambda/router/pipeline/parse';
import { selectRoute } from '../../lambda/router/pipeline/route';
import { resolveTenant } from '../../lambda/router/pipeline/tenant';
import { Candidate, RoutePlan } from '../../lambda/router/pipeline/types';
import { BedrockTarget, OpenAiTarget, ProviderRequest } from '../../lambda/router/providers/types';
import { CircuitBreakers } from '../../lambda/router/reliability/circuit-breaker';
import { AttemptRecord } from '../../lambda/router/usage/types';
import { LatencyClass, Sensitivity } from '../../lambda/shared/config';
import { ResolvedGatewayConfig } from '../../lambda/shared/defaults';
import { resolved } from './router-config';
import { FakeAdapter } from './router-fakes';

export const request: ProviderRequest = { requestId: 'r1', system: [], messages: [{ role: 'user', content: 'hi' }], metadata: {}, maxTokens: 256 };

export interface Harness {
  readonly ctx: InvokeContext;
  readonly bedrock: FakeAdapter<BedrockTarget>;
  readonly openai: FakeAdapter<OpenAiTarget>;
  readonly plan: RoutePlan;
  readonly sleeps: number[];
  readonly attempts: AttemptRecord[];
  readonly abort: AbortController;
}

export function harness(options: { config?: ResolvedGatewayConfig; deadlineMs?: number; breakers?: CircuitBreakers; alias?: string } = {}): Harness {
  const config = options.config ?? resolved();
  const bedrock = new FakeAdapter<BedrockTarget>('bedrock');
  const openai = new FakeAdapter<OpenAiTarget>('openai');
  const breakers = options.breakers ?? new CircuitBreakers(config.circuitBreaker);
  const tenant = resolveTenant({ kind: 'authorizer', context: { tenantId: 'globex' } }, {}, config);
  const chat = parseChatRequest(Buffer.from(`{"model":"${options.alias ?? 'chat'}","messages":[{"role":"user","content":"hi"}]}`), undefined, config.limits);
  const plan = selectRoute({ tenant, request: chat, hints: {}, policy: { sensitivity: Sensitivity.INTERNAL, latencyClass: LatencyClass.STANDARD }, config, breakers, env: {} });
  const sleeps: number[] = [];
  const attempts: AttemptRecord[] = [];
  const abort = new AbortController();
  const ctx: InvokeContext = {
    providers: { bedrock, openai },
    breakers,
    retry: config.retry,
    deadline: Date.now() + (options.deadlineMs ?? 5000),
    signal: abort.signal,
    now: Date.now,
    random: () => 0.5,
    sleep: async (ms) => { sleeps.push(ms); },
    attempts,
  };
  return { ctx, bedrock, openai, plan, sleeps, attempts, abort };
}

export const vllm = (h: Harness): Candidate => h.plan.candidates[0];

/** The rejection of `p` (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

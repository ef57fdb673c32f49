/** Fakes of the Bedrock batch runtime's ports: the bucket and the control plane. */
import type { CreateModelInvocationJobRequest } from '@aws-sdk/client-bedrock';
import { BedrockJobsApi, ObjectStore } from '../../../lambda/router/batch/bedrock-jobs';
import { ResolvedGatewayConfig } from '../../../lambda/shared/defaults';
import { resolved, testConfig } from '../../helpers/router-config';

export const NOVA = 'amazon.nova-lite-v1:0';

/** The test configuration with a Bedrock-only route `classify` globex may call, and Nova's batch prices. */
export function classifyConfig(batchInputUsdPer1K: number, batchOutputUsdPer1K: number): ResolvedGatewayConfig {
  const base = testConfig();
  return resolved({
    ...base,
    tenants: base.tenants.map((t) => (t.id === 'globex' ? { ...t, allowedAliases: [...t.allowedAliases, 'classify'] } : t)),
    routes: [...base.routes, { alias: 'classify', targets: ['bedrock-nova'] }],
    prices: { ...base.prices, [NOVA]: { ...base.prices[NOVA], batchInputUsdPer1K, batchOutputUsdPer1K } },
  });
}

export class MemoryObjects implements ObjectStore {
  readonly objects = new Map<string, string>();
  put(key: string, body: string): Promise<void> {
    this.objects.set(key, body);
    return Promise.resolve();
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.objects.get(key));
  }

  list(prefix: string): Promise<string[]> {
    return Promise.resolve([...this.objects.keys()].filter((k) => k.startsWith(prefix)));
  }
}

export class FakeBedrockJobs implements BedrockJobsApi {
  readonly created: CreateModelInvocationJobRequest[] = [];
  readonly stopped: string[] = [];
  create(request: CreateModelInvocationJobRequest): Promise<string> {
    this.created.push(request);
    return Promise.resolve(`arn:aws:bedrock:us-east-1:111122223333:model-invocation-job/${request.jobName}`);
  }

  stop(jobArn: string): Promise<void> {
    this.stopped.push(jobArn);
    return Promise.resolve();
  }
}

export const line = (id: string, model: string): string =>
  JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: `Classify ${id}` }], max_tokens: 8 } });

/** A `Batch Inference Job State Change` event. */
export function jobEvent(status: string, jobName: string) {
  return { source: 'aws.bedrock', 'detail-type': 'Batch Inference Job State Change', detail: { batchJobArn: `arn:${jobName}`, batchJobName: jobName, status } };
}

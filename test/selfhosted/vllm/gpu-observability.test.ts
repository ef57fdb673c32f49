import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { GpuObservability, SelfHostedModels, SelfHostedModelOptions } from '../../../lib';
import { GPU_NODE_ROLE, GPU_TAINT, NODE_ROLE_LABEL } from '../../../lib/selfhosted/scheduling';
import { NodePoolShape, schedulableOn } from '../helpers/scheduling';
import { helmRelease, manifestsOfKind } from '../helpers/template-manifests';

const ENV = { account: '111122223333', region: 'us-east-1' };
const LLAMA: SelfHostedModelOptions = { name: 'llama-8b', modelId: 'meta-llama/Llama-3.1-8B-Instruct', instanceType: 'g6.xlarge', tokensPerSecond: 400 };
const QWEN: SelfHostedModelOptions = { name: 'qwen-32b', modelId: 'Qwen/Qwen2.5-32B-Instruct', instanceType: 'g6e.12xlarge', gpusPerReplica: 2, tokensPerSecond: 600 };

interface Rule { record?: string; alert?: string; expr: string; for?: string }
interface RuleFile { groups: Array<{ name: string; rules: Rule[] }> }

describe('GpuObservability through SelfHostedModels', () => {
  let stack: Stack;
  let template: Template;
  let models: SelfHostedModels;
  let topic: sns.Topic;
  beforeAll(() => {
    stack = new Stack(new App(), 'Models', { env: ENV });
    topic = new sns.Topic(stack, 'Alarms');
    models = new SelfHostedModels(stack, 'SelfHosted', { models: [LLAMA, QWEN], alarmTopic: topic });
    template = Template.fromStack(stack);
  });

  test('the DCGM exporter runs on every GPU node and nowhere else, without Prometheus Operator CRDs', () => {
    const release = helmRelease(template, 'dcgm-exporter');
    expect(release).toMatchObject({ repository: GpuObservability.DCGM_CHART_REPOSITORY, version: GpuObservability.DCGM_CHART_VERSION, namespace: 'gpu-monitoring' });
    expect(release.values).toEqual({
      serviceMonitor: { enabled: false },
      nodeSelector: { [NODE_ROLE_LABEL]: GPU_NODE_ROLE },
      tolerations: [{ key: GPU_TAINT.key, operator: 'Equal', value: GPU_TAINT.value, effect: GPU_TAINT.effect }],
    });
    const pools: NodePoolShape[] = manifestsOfKind(template, 'NodePool').map((p) => {
      const t = (p.spec as { template: { metadata: { labels: Record<string, string> }; spec: { taints: NodePoolShape['taints'] } } }).template;
      return { name: p.metadata?.name ?? '', labels: t.metadata.labels, taints: t.spec.taints };
    });
    const pod = { name: 'dcgm', nodeSelector: release.values.nodeSelector as Record<string, string>, tolerations: release.values.tolerations as [] };
    expect(schedulableOn(pod, pools)).toEqual([models.gpuNodePool.poolName, models.gpuNodePool.overflowPoolName]);
  });

  test('the managed scraper also collects dcgm-exporter pods on port 9400', () => {
    const blob = template.findResources('AWS::APS::Scraper');
    const config = Buffer.from(Object.values(blob)[0].Properties.ScrapeConfiguration.ConfigurationBlob, 'base64').toString('utf8');
    expect([...config.matchAll(/job_name: (\S+)/g)].map((m) => m[1])).toEqual(['vllm', 'dcgm-exporter']);
    const dcgmJob = config.slice(config.indexOf('job_name: dcgm-exporter'));
    expect(dcgmJob).toContain('regex: dcgm-exporter');
    expect(dcgmJob).toContain('regex: "9400"');
  });

  test('capacity waste is recorded per model: GPUs billed, tokens served, utilisation against the priced rate, measured USD per 1K tokens', () => {
    const [rules] = Object.values(template.findResources('AWS::APS::RuleGroupsNamespace'));
    const file = JSON.parse(rules.Properties.Data as string) as RuleFile;
    const capacity = file.groups.find((g) => g.name === 'cdk-ai-gateway-capacity')!.rules;
    const forModel = (name: string) => Object.fromEntries(capacity.filter((r) => r.expr.includes(`model_name="${name}"`)).map((r) => [r.record, r.expr]));
    const llama = forModel('llama-8b');
    expect(Object.keys(llama).sort()).toEqual([
      'cdk_ai_gateway:model_gpus', 'cdk_ai_gateway:model_output_tokens_per_second', 'cdk_ai_gateway:model_replicas',
      'cdk_ai_gateway:model_usd_per_1k_output_tokens', 'cdk_ai_gateway:model_utilization_ratio',
    ]);
    expect(llama['cdk_ai_gateway:model_utilization_ratio']).toContain('/ (400 * count by (model_name)');
    expect(llama['cdk_ai_gateway:model_usd_per_1k_output_tokens']).toMatch(/^\(0\.8048 \/ 3600/);
    const qwen = forModel('qwen-32b');
    expect(qwen['cdk_ai_gateway:model_gpus']).toMatch(/^2 \* count/);
    // Two of the four GPUs of a g6e.12xlarge: half its hourly price per replica.
    expect(qwen['cdk_ai_gateway:model_usd_per_1k_output_tokens']).toMatch(/^\(5\.2465 \/ 3600/);
  });

  test('a replica that leaves GPUs idle is charged the whole instance, on the dashboard as in the price', () => {
    // Prepare: three of the four GPUs of a g6e.12xlarge per replica, so one replica per instance.
    const stack = new Stack(new App(), 'Idle', { env: ENV });
    const models = new SelfHostedModels(stack, 'S', { models: [{ ...QWEN, name: 'qwen-tp3', gpusPerReplica: 3 }] });
    const [rules] = Object.values(Template.fromStack(stack).findResources('AWS::APS::RuleGroupsNamespace'));
    const file = JSON.parse(rules.Properties.Data as string) as RuleFile;
    const usd = file.groups.find((g) => g.name === 'cdk-ai-gateway-capacity')!.rules
      .find((r) => r.record === 'cdk_ai_gateway:model_usd_per_1k_output_tokens')!.expr;

    // Assess: 10.493 USD/h per replica, and the price per 1K output tokens the gateway charges agrees
    expect(usd).toMatch(/^\(10\.493 \/ 3600/);
    expect(models.targets[0].price.outputUsdPer1K).toBeCloseTo(10.493 / 3600 / 600 * 1000, 9);
  });

  test('alerts on saturation, KV cache, restarts and GPU faults, sent to the topic', () => {
    const [rules] = Object.values(template.findResources('AWS::APS::RuleGroupsNamespace'));
    const file = JSON.parse(rules.Properties.Data as string) as RuleFile;
    const alerts = file.groups.find((g) => g.name === 'cdk-ai-gateway-alerts')!.rules;
    expect(alerts.map((a) => a.alert)).toEqual(['VllmQueueSaturated', 'VllmKvCacheSaturated', 'VllmRestarted', 'GpuXidError']);
    expect(alerts[0].expr).toContain('vllm:num_requests_waiting');
    template.hasResourceProperties('AWS::APS::Workspace', {
      AlertManagerDefinition: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('sns_configs'), { Ref: stack.getLogicalId(topic.node.defaultChild as never) }])] }),
    });
  });

  test('the dashboard shows what the seed asks for, for each model', () => {
    const dashboard = JSON.parse(models.observability!.dashboardJson) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const titles = dashboard.panels.map((p) => p.title);
    for (const wanted of ['GPU utilisation', 'Queue depth', 'Batch size', 'Output tokens per second', 'KV-cache usage', 'GPU memory used', 'Restarts', 'Capacity use']) {
      expect(titles.some((t) => t.startsWith(wanted))).toBe(true);
    }
    expect(dashboard.panels.every((p) => p.targets[0].expr.length > 0)).toBe(true);
  });

  test('GPU faults are repaired: the EKS node monitoring agent add-on and Karpenter\'s node repair', () => {
    template.hasResourceProperties('AWS::EKS::Addon', { AddonName: 'eks-node-monitoring-agent' });
    expect(helmRelease(template, 'karpenter').values).toMatchObject({ settings: { featureGates: { nodeRepair: true } } });
  });

  test('a measured utilisation raises the price per token by the idle share', () => {
    const full = models.targets[0].price.outputUsdPer1K;
    const measured = new SelfHostedModels(new Stack(new App(), 'M2', { env: ENV }), 'S', { models: [{ ...LLAMA, utilizationPercent: 40 }] }).targets[0].price.outputUsdPer1K;
    expect(measured).toBeCloseTo(full / 0.4, 6);
    expect(measured).toBeGreaterThan(full * 2.4);
  });
});

describe('GpuObservability validation', () => {
  test.each<[string, () => unknown, RegExp]>([
    ['observability with your own Prometheus', () => new SelfHostedModels(new Stack(new App(), 'A', { env: ENV }), 'S', { models: [LLAMA], metrics: { serverAddress: 'http://p:9090' }, observability: true }),
      /observability needs the managed Prometheus workspace/],
    ['utilizationPercent out of range', () => new SelfHostedModels(new Stack(new App(), 'B', { env: ENV }), 'S', { models: [{ ...LLAMA, utilizationPercent: 0 }] }),
      /models\['llama-8b'\]\.utilizationPercent must be from 1 to 100/],
  ])('%s fails at synth', (_name, make, message) => {
    expect(make).toThrow(message);
  });

  test('your own Prometheus without observability set: no rules, no exporter', () => {
    const stack = new Stack(new App(), 'C', { env: ENV });
    const models = new SelfHostedModels(stack, 'S', { models: [LLAMA], metrics: { serverAddress: 'http://p:9090' } });
    expect(models.observability).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::APS::RuleGroupsNamespace', 0);
  });
});

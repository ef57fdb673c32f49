import { Duration, Stack } from 'aws-cdk-lib';
import * as aps from 'aws-cdk-lib/aws-aps';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AiGatewayValidationError } from '../../private/errors';
import { GPU_NODE_ROLE, NODE_ROLE_LABEL, gpuToleration } from '../scheduling';
import { ManagedPrometheus } from './prometheus-source';

// NVIDIA dcgm-exporter chart 4.8.2 (https://nvidia.github.io/dcgm-exporter/helm-charts; image
// 4.5.3-4.8.2-distroless, metrics on port 9400). `serviceMonitor.enabled` defaults to true and needs
// the Prometheus Operator CRDs, so it is turned off: the AWS managed scraper finds the pods itself.
const DCGM_CHART_VERSION = '4.8.2';
const DCGM_CHART_REPOSITORY = 'https://nvidia.github.io/dcgm-exporter/helm-charts';

/** One self-hosted model as its capacity is counted and priced. */
export interface ObservedModel {
  /** The served model name (the `model_name` label of vLLM's metrics). */
  readonly servedModelName: string;
  /** GPUs per replica. */
  readonly gpusPerReplica: number;
  /** The hourly price of one replica's share of its instance, in USD. */
  readonly replicaHourlyUsd: number;
  /** The output tokens per second one replica is priced for (`tokensPerSecond`). */
  readonly pricedTokensPerSecond: number;
}

/** Properties of `GpuObservability`. */
export interface GpuObservabilityProps {
  /** The cluster of the GPU nodes. */
  readonly cluster: eks.ICluster;

  /** The Amazon Managed Service for Prometheus workspace that the scraper fills (it must scrape the GPU metrics too: `scrapeGpuMetrics`). */
  readonly metrics: ManagedPrometheus;

  /** The models whose capacity waste is recorded. */
  readonly models: ObservedModel[];

  /**
   * Install NVIDIA's dcgm-exporter on the GPU nodes.
   * @default true
   */
  readonly dcgmExporter?: boolean;

  /**
   * An SNS topic the workspace's alert manager sends firing alerts to. Its policy must let
   * `aps.amazonaws.com` publish (`topic.grantPublish(new iam.ServicePrincipal('aps.amazonaws.com'))`),
   * and its key, if any, let the service use it.
   * @default - alerts fire in the workspace (query `ALERTS`) without being sent anywhere
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Waiting requests per replica above which the saturation alert fires (after 10 minutes).
   * @default 10
   */
  readonly saturationQueueDepth?: number;
}

/**
 * What a GPU fleet of self-hosted models shows: NVIDIA's DCGM exporter on the GPU nodes (GPU
 * utilisation, memory, XID errors), scraped with vLLM's metrics into Amazon Managed Service for
 * Prometheus; recording rules for capacity waste per model (GPU hours billed against tokens
 * served); alerting rules on saturation, restarts and GPU faults; and a Grafana dashboard
 * (`dashboardJson`) for Amazon Managed Grafana.
 *
 * Recorded series, per `model_name`:
 * - `cdk_ai_gateway:model_replicas` — replicas reporting metrics;
 * - `cdk_ai_gateway:model_gpus` — GPUs billed (replicas × GPUs per replica);
 * - `cdk_ai_gateway:model_output_tokens_per_second` — tokens served (5-minute rate);
 * - `cdk_ai_gateway:model_utilization_ratio` — tokens served ÷ tokens priced (replicas × `tokensPerSecond`);
 * - `cdk_ai_gateway:model_usd_per_1k_output_tokens` — what a token really cost.
 *
 * A week of `avg_over_time(cdk_ai_gateway:model_utilization_ratio[7d]) × 100` is the measured
 * utilisation to pass as `utilizationPercent` (`SelfHostedModelOptions`), which
 * `SelfHostedPrice.fromGpuHour` uses instead of assuming full use.
 *
 * @example
 * new GpuObservability(this, 'Gpu', { cluster, metrics, models: [{ servedModelName: 'llama-8b', gpusPerReplica: 1, replicaHourlyUsd: 0.8048, pricedTokensPerSecond: 400 }] });
 */
export class GpuObservability extends Construct {
  /** The dcgm-exporter chart version installed. */
  public static readonly DCGM_CHART_VERSION: string = DCGM_CHART_VERSION;
  /** The dcgm-exporter Helm repository. */
  public static readonly DCGM_CHART_REPOSITORY: string = DCGM_CHART_REPOSITORY;

  /** The dcgm-exporter release (with `dcgmExporter`). */
  public readonly dcgmExporter?: eks.HelmChart;
  /** The recording and alerting rules in the workspace. */
  public readonly rules: aps.CfnRuleGroupsNamespace;
  /** A Grafana dashboard (JSON model) of the fleet: import it into Amazon Managed Grafana with the workspace as its Prometheus data source. */
  public readonly dashboardJson: string;

  constructor(scope: Construct, id: string, props: GpuObservabilityProps) {
    super(scope, id);
    if (props.models.length === 0) throw new AiGatewayValidationError('models must name at least one model to observe.', this);
    const saturation = props.saturationQueueDepth ?? 10;
    if (!(saturation > 0)) throw new AiGatewayValidationError(`saturationQueueDepth must be above 0; received ${saturation}.`, this);
    for (const m of props.models) {
      if (!/^[A-Za-z0-9._:/-]{1,256}$/.test(m.servedModelName)) {
        throw new AiGatewayValidationError(`models: servedModelName '${m.servedModelName}' cannot be quoted in PromQL; use letters, digits, '.', '_', ':', '/' and '-'.`, this);
      }
    }

    if (props.dcgmExporter ?? true) {
      this.dcgmExporter = new eks.HelmChart(this, 'DcgmExporter', {
        cluster: props.cluster,
        chart: 'dcgm-exporter',
        repository: DCGM_CHART_REPOSITORY,
        version: DCGM_CHART_VERSION,
        release: 'dcgm-exporter',
        namespace: 'gpu-monitoring',
        createNamespace: true,
        wait: false, // a DaemonSet on GPU nodes, which exist only while models run
        timeout: Duration.minutes(10),
        values: {
          serviceMonitor: { enabled: false },
          nodeSelector: { [NODE_ROLE_LABEL]: GPU_NODE_ROLE },
          tolerations: [gpuToleration()],
        },
      });
    }

    this.rules = new aps.CfnRuleGroupsNamespace(this, 'Rules', {
      workspace: props.metrics.workspaceArn,
      name: 'cdk-ai-gateway-gpu',
      data: GpuObservability.rulesYaml(props.models, saturation),
    });
    if (props.alarmTopic) {
      props.metrics.workspace.alertManagerDefinition = alertManagerYaml(props.alarmTopic.topicArn, props.metrics.sigV4Region ?? Stack.of(this).region);
    }
    this.dashboardJson = JSON.stringify(dashboard(props.models.map((m) => m.servedModelName)));
  }

  /**
   * The Prometheus rule file (recording and alerting rules) for these models, in JSON — which is
   * YAML too, so the workspace reads it as a rule file and a reviewer can parse it without a YAML library.
   */
  private static rulesYaml(models: ObservedModel[], saturationQueueDepth: number): string {
    const capacity = models.flatMap((m) => {
      const selector = `{model_name="${m.servedModelName}"}`;
      const replicas = `count by (model_name) (vllm:num_requests_running${selector})`;
      const tokens = `sum by (model_name) (rate(vllm:generation_tokens_total${selector}[5m]))`;
      return [
        { record: 'cdk_ai_gateway:model_replicas', expr: replicas },
        { record: 'cdk_ai_gateway:model_gpus', expr: `${m.gpusPerReplica} * ${replicas}` },
        { record: 'cdk_ai_gateway:model_output_tokens_per_second', expr: tokens },
        { record: 'cdk_ai_gateway:model_utilization_ratio', expr: `${tokens} / (${m.pricedTokensPerSecond} * ${replicas})` },
        { record: 'cdk_ai_gateway:model_usd_per_1k_output_tokens', expr: `(${m.replicaHourlyUsd} / 3600 * ${replicas}) / ${tokens} * 1000` },
      ];
    });
    const alert = (name: string, expr: string, forDuration: string, summary: string) =>
      ({ alert: name, expr, for: forDuration, labels: { severity: 'warning' }, annotations: { summary } });
    const alerts = [
      alert('VllmQueueSaturated', `sum by (model_name) (vllm:num_requests_waiting) / count by (model_name) (vllm:num_requests_running) > ${saturationQueueDepth}`, '10m',
        `More than ${saturationQueueDepth} requests wait per replica of {{ $labels.model_name }}: the model is at its replica limit or its GPUs are saturated.`),
      alert('VllmKvCacheSaturated', 'avg by (model_name) (vllm:kv_cache_usage_perc) > 0.95', '10m',
        'The KV cache of {{ $labels.model_name }} is over 95 % full: requests are preempted and latency climbs.'),
      alert('VllmRestarted', 'resets(vllm:generation_tokens_total[30m]) > 0', '0m',
        'A vLLM replica of {{ $labels.model_name }} ({{ $labels.pod }}) restarted in the last 30 minutes (its token counter reset).'),
      alert('GpuXidError', 'max by (Hostname, gpu) (DCGM_FI_DEV_XID_ERRORS) > 0', '0m',
        'GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported XID error {{ $value }}: a driver or hardware fault; node repair replaces the node if it stays unhealthy.'),
    ];
    return JSON.stringify({
      groups: [
        { name: 'cdk-ai-gateway-capacity', interval: '60s', rules: capacity },
        { name: 'cdk-ai-gateway-alerts', rules: alerts },
      ],
    }, null, 2);
  }
}

function alertManagerYaml(topicArn: string, region: string): string {
  return [
    'alertmanager_config: |',
    '  route:',
    '    receiver: sns',
    '    group_by: [alertname, model_name]',
    '  receivers:',
    '    - name: sns',
    '      sns_configs:',
    `        - topic_arn: ${topicArn}`,
    '          sigv4:',
    `            region: ${region}`,
    '',
  ].join('\n');
}

function dashboard(models: string[]): Record<string, unknown> {
  const panel = (id: number, title: string, expr: string, unit: string, x: number, y: number) => ({
    id, title, type: 'timeseries', gridPos: { h: 8, w: 12, x, y },
    datasource: { type: 'prometheus', uid: '${datasource}' },
    fieldConfig: { defaults: { unit }, overrides: [] },
    targets: [{ refId: 'A', expr, legendFormat: '{{model_name}}{{Hostname}} {{gpu}}' }],
  });
  const panels = [
    ['GPU utilisation', 'avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL)', 'percent'],
    ['GPU memory used', 'max by (Hostname, gpu) (DCGM_FI_DEV_FB_USED) * 1048576', 'bytes'],
    ['Queue depth (waiting requests)', 'sum by (model_name) (vllm:num_requests_waiting)', 'short'],
    ['Batch size (running requests)', 'sum by (model_name) (vllm:num_requests_running)', 'short'],
    ['Output tokens per second', 'cdk_ai_gateway:model_output_tokens_per_second', 'short'],
    ['KV-cache usage', 'avg by (model_name) (vllm:kv_cache_usage_perc)', 'percentunit'],
    ['Capacity use (tokens served ÷ tokens priced)', 'cdk_ai_gateway:model_utilization_ratio', 'percentunit'],
    ['USD per 1K output tokens (measured)', 'cdk_ai_gateway:model_usd_per_1k_output_tokens', 'currencyUSD'],
    ['GPUs billed', 'cdk_ai_gateway:model_gpus', 'short'],
    ['Restarts (30 min)', 'sum by (model_name) (resets(vllm:generation_tokens_total[30m]))', 'short'],
    ['Time to first token p95', 'histogram_quantile(0.95, sum by (le, model_name) (rate(vllm:time_to_first_token_seconds_bucket[5m])))', 's'],
    ['GPU XID errors', 'max by (Hostname, gpu) (DCGM_FI_DEV_XID_ERRORS)', 'short'],
  ].map(([title, expr, unit], i) => panel(i + 1, title, expr, unit, (i % 2) * 12, Math.floor(i / 2) * 8));
  return {
    title: 'cdk-ai-gateway self-hosted GPUs',
    uid: 'cdk-ai-gateway-gpus',
    schemaVersion: 39,
    tags: ['cdk-ai-gateway', 'vllm', 'gpu'],
    time: { from: 'now-6h', to: 'now' },
    templating: { list: [{ name: 'datasource', type: 'datasource', query: 'prometheus' }] },
    description: `vLLM models ${models.join(', ')} and their GPUs`,
    panels,
  };
}

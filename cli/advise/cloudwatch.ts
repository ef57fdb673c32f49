/**
 * GPU utilisation of the self-hosted targets, read from CloudWatch (`advise --cluster NAME`):
 * the hourly average of Container Insights' `pod_gpu_utilization` for each target's model pods
 * (namespace `ContainerInsights`, dimensions `ClusterName`, `Namespace`, `PodName`), which the
 * Amazon CloudWatch Observability EKS add-on publishes from the NVIDIA DCGM exporter it runs on
 * GPU nodes. `PodName` is the pod's workload name (the model's Deployment: `VllmModel`'s name,
 * which is also its target id by default), not a replica's full name.
 *
 * Not verified against a live account: the metric name and its dimension set come from the
 * Container Insights enhanced observability metric list (the EKS GPU metrics); if your add-on
 * version publishes them under other dimensions, give the samples as a file (`--capacity`).
 *
 * One GetMetricData request covers at most 500 queries and returns at most 100,800 data points
 * (both limits of the API): at a period of one hour a month is at most 744 points per target, so
 * each request carries at most ⌊100,800 ÷ hours⌋ targets, and every page (`NextToken`) is read.
 * Hourly data points are kept 455 days, so any month of the last 15 months can be read.
 */
import { CloudWatchClient, GetMetricDataCommand, MetricDataQuery } from '@aws-sdk/client-cloudwatch';

/** The metric read: its namespace, name, statistic and period. */
export const GPU_UTILIZATION_METRIC = {
  namespace: 'ContainerInsights',
  metricName: 'pod_gpu_utilization',
  stat: 'Average',
  /** One hour: the advisor's samples are hourly, and hourly data points are kept 455 days. */
  periodSeconds: 3600,
} as const;

/** GetMetricData's limits: queries per request and data points per request. */
export const GET_METRIC_DATA_LIMITS = { maxQueries: 500, maxDatapoints: 100_800 } as const;

/** Where a self-hosted target's pods are in the cluster. */
export interface TargetWorkload {
  readonly targetId: string;
  /** The model's namespace (`modelNamespace`, default `models`). */
  readonly namespace: string;
  /** The model's workload (Deployment) name. */
  readonly podName: string;
}

/** An hourly GPU utilisation sample. */
export interface UtilizationSample {
  /** `YYYY-MM-DDTHH` (UTC). */
  readonly hour: string;
  readonly gpuPercent: number;
}

/** The number of targets one request may carry for `hours` hourly data points each. */
export function targetsPerRequest(hours: number): number {
  return Math.max(1, Math.min(GET_METRIC_DATA_LIMITS.maxQueries, Math.floor(GET_METRIC_DATA_LIMITS.maxDatapoints / Math.max(1, hours))));
}

function query(id: string, cluster: string, workload: TargetWorkload): MetricDataQuery {
  return {
    Id: id,
    Label: workload.targetId,
    ReturnData: true,
    MetricStat: {
      Metric: {
        Namespace: GPU_UTILIZATION_METRIC.namespace,
        MetricName: GPU_UTILIZATION_METRIC.metricName,
        Dimensions: [
          { Name: 'ClusterName', Value: cluster },
          { Name: 'Namespace', Value: workload.namespace },
          { Name: 'PodName', Value: workload.podName },
        ],
      },
      Period: GPU_UTILIZATION_METRIC.periodSeconds,
      Stat: GPU_UTILIZATION_METRIC.stat,
    },
  };
}

const hourOf = (t: Date): string => t.toISOString().slice(0, 13);

/**
 * The hourly GPU utilisation of each target in `[start, end)`, by target id (a target without
 * data points has an empty list).
 *
 * @example
 * const samples = await readGpuUtilization(new CloudWatchClient({}), 'models-cluster', [{ targetId: 'llama-8b', namespace: 'models', podName: 'llama-8b' }], start, end);
 */
export async function readGpuUtilization(
  client: CloudWatchClient, cluster: string, workloads: readonly TargetWorkload[], start: number, end: number,
): Promise<Map<string, UtilizationSample[]>> {
  const out = new Map<string, Map<string, number>>(workloads.map((w) => [w.targetId, new Map()]));
  const hours = Math.ceil((end - start) / 3_600_000);
  const size = targetsPerRequest(hours);
  for (let first = 0; first < workloads.length; first += size) {
    const batch = workloads.slice(first, first + size);
    const queries = batch.map((w, i) => query(`t${first + i}`, cluster, w));
    const byId = new Map(batch.map((w, i) => [`t${first + i}`, w.targetId]));
    let nextToken: string | undefined;
    do {
      const page = await client.send(new GetMetricDataCommand({
        MetricDataQueries: queries, StartTime: new Date(start), EndTime: new Date(end), ScanBy: 'TimestampAscending',
        ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
      }));
      for (const result of page.MetricDataResults ?? []) {
        const targetId = result.Id !== undefined ? byId.get(result.Id) : undefined;
        if (targetId === undefined) continue;
        const samples = out.get(targetId)!;
        const times = result.Timestamps ?? [];
        const values = result.Values ?? [];
        for (let i = 0; i < Math.min(times.length, values.length); i++) {
          const at = times[i].getTime();
          if (at >= start && at < end && Number.isFinite(values[i])) samples.set(hourOf(times[i]), values[i]);
        }
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined && nextToken !== '');
  }
  return new Map([...out].map(([id, samples]) => [id, [...samples].sort(([a], [b]) => a.localeCompare(b)).map(([hour, gpuPercent]) => ({ hour, gpuPercent }))]));
}

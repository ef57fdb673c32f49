/**
 * The advisor's GPU utilisation from CloudWatch (`advise --cluster`): the real
 * @aws-sdk/client-cloudwatch against a loopback CloudWatch speaking the protocol that client sends
 * (AWS JSON 1.0); the queries (metric, dimensions, period, the month), pagination, the batching
 * that keeps each request under GetMetricData's limits, the file export winning for its target,
 * and the report's note when there is no utilisation data at all.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { runCli } from '../../../cli/dispatch';
import { EXIT } from '../../../cli/io';
import { AdvisorReport } from '../../../cli/advise/analyse';
import { GET_METRIC_DATA_LIMITS, readGpuUtilization, targetsPerRequest } from '../../../cli/advise/cloudwatch';
import { monthRange } from '../../../cli/advise/readers';
import { toLogLine } from '../../../lambda/router/telemetry/log-sink';
import { useTestAwsEnvironment } from '../../helpers/dynalite';
import { FakeCloudWatch, startFakeCloudWatch } from '../../helpers/fake-cloudwatch';
import { idleCapacity, idleSelfHosted, MONTH } from './ledgers';

const HOUR = 3_600_000;
const { start, end } = monthRange(MONTH);
/** The idle target's GPU all month: 6 % during its three busy hours a day, 1 % otherwise (the file export's figures). */
const IDLE_SERIES: [number, number][] = idleCapacity().utilization!.map((u) => [Date.parse(`${u.hour}:00:00.000Z`), u.gpuPercent]);

let dir: string;
let restoreEnv: () => void;
let cw: FakeCloudWatch | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'advise-cw-'));
  restoreEnv = useTestAwsEnvironment();
  writeFileSync(join(dir, 'usage.log'), idleSelfHosted().map((r) => JSON.stringify(toLogLine(r, 'CdkAiGateway'))).join('\n'));
  writeFileSync(join(dir, 'capacity-file.json'), JSON.stringify({ targets: [idleCapacity()] }));
  writeFileSync(join(dir, 'capacity-bare.json'), JSON.stringify({ targets: [{ targetId: 'vllm', instanceType: 'g6e.xlarge' }] }));
});
afterEach(async () => {
  await cw?.close();
  cw = undefined;
});
afterAll(() => {
  restoreEnv();
  rmSync(dir, { recursive: true, force: true });
});

async function advise(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['advise', '--local', join(dir, 'usage.log'), '--month', MONTH, ...args], { stdout: (t) => { out.push(t); }, stderr: (t) => { err.push(t); } });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('advise --cluster: GPU utilisation from CloudWatch', () => {
  test('one GetMetricData request in the protocol the SDK speaks: the month, hourly averages of pod_gpu_utilization for the target\'s pods', async () => {
    cw = await startFakeCloudWatch({ series: { vllm: IDLE_SERIES } });
    const { code, out } = await advise('--self-hosted', 'vllm=g6e.xlarge', '--cluster', 'models-cluster', '--cloudwatch-endpoint', cw.endpoint, '--format', 'json');
    expect(code).toBe(EXIT.OK);
    expect(cw.requests).toHaveLength(1);
    const [request] = cw.requests;
    expect(request.target).toBe('GraniteServiceVersion20100801.GetMetricData');
    expect(request.contentType).toBe('application/x-amz-json-1.0');
    expect(request.body.StartTime).toBe(start / 1000);
    expect(request.body.EndTime).toBe(end / 1000);
    expect(request.body.MetricDataQueries).toEqual([expect.objectContaining({
      MetricStat: {
        Metric: {
          Namespace: 'ContainerInsights', MetricName: 'pod_gpu_utilization',
          Dimensions: [{ Name: 'ClusterName', Value: 'models-cluster' }, { Name: 'Namespace', Value: 'models' }, { Name: 'PodName', Value: 'vllm' }],
        },
        Period: 3600, Stat: 'Average',
      },
    })]);
    const report = JSON.parse(out) as AdvisorReport;
    // 720 hourly samples: the hours the pods reported are the instance hours; mean (3 × 6 + 21 × 1) / 24 = 1.625 %, rounded.
    expect(report.capacity).toEqual([expect.objectContaining({ targetId: 'vllm', instanceHours: 720, utilization: 0.0163, capacityWaste: true })]);
    expect(report.utilizationSeries[0].points).toHaveLength(720);
    expect(report.utilizationNotes).toEqual(['vllm: 720 hourly samples from CloudWatch (cluster models-cluster, models/vllm)']);
  });

  test('every page is read (NextToken), and the same report as the file export of the same samples', async () => {
    cw = await startFakeCloudWatch({ series: { vllm: IDLE_SERIES }, pageSize: 100 });
    const fromCloudWatch = await advise('--capacity', join(dir, 'capacity-bare.json'), '--cluster', 'models-cluster', '--cloudwatch-endpoint', cw.endpoint, '--format', 'json');
    expect(cw.requests.map((r) => r.body.NextToken)).toEqual([undefined, 'page-100', 'page-200', 'page-300', 'page-400', 'page-500', 'page-600', 'page-700']);
    const fromFile = await advise('--capacity', join(dir, 'capacity-file.json'), '--format', 'json');
    const a = JSON.parse(fromCloudWatch.out) as AdvisorReport;
    const b = JSON.parse(fromFile.out) as AdvisorReport;
    expect(a.capacity).toEqual(b.capacity);
    expect(a.utilizationSeries).toEqual(b.utilizationSeries);
  });

  test('--workload names where the pods are; a target with no data points is said so, and keeps its estimate', async () => {
    cw = await startFakeCloudWatch({ series: {} });
    const { code, out } = await advise('--self-hosted', 'vllm=g6e.xlarge', '--workload', 'vllm=inference/llama-8b', '--cluster', 'c1',
      '--cloudwatch-endpoint', cw.endpoint, '--format', 'json');
    expect(code).toBe(EXIT.OK);
    expect(cw.requests[0].body.MetricDataQueries[0].MetricStat.Metric.Dimensions)
      .toEqual([{ Name: 'ClusterName', Value: 'c1' }, { Name: 'Namespace', Value: 'inference' }, { Name: 'PodName', Value: 'llama-8b' }]);
    const report = JSON.parse(out) as AdvisorReport;
    expect(report.utilizationNotes).toEqual(['vllm: no CloudWatch data points (ContainerInsights pod_gpu_utilization, ClusterName c1, Namespace inference, PodName llama-8b)']);
    expect(report.capacity[0].instanceHours).toBe(720);
  });

  test('samples in the --capacity file win for their target: CloudWatch is not asked', async () => {
    cw = await startFakeCloudWatch({ series: { vllm: IDLE_SERIES } });
    const { code, out } = await advise('--capacity', join(dir, 'capacity-file.json'), '--cluster', 'c1', '--cloudwatch-endpoint', cw.endpoint, '--format', 'json');
    expect(code).toBe(EXIT.OK);
    expect(cw.requests).toHaveLength(0);
    expect((JSON.parse(out) as AdvisorReport).utilizationNotes).toEqual(['vllm: samples from the --capacity file']);
  });

  test('with neither CloudWatch nor a file export, the report says it has no utilisation data (table and JSON)', async () => {
    const table = await advise('--self-hosted', 'vllm=g6e.xlarge');
    expect(table.code).toBe(EXIT.OK);
    expect(table.out).toMatch(/GPU utilisation: no utilisation data: give --cluster NAME \(CloudWatch Container Insights\) or samples in the --capacity file/);
    const json = JSON.parse((await advise('--self-hosted', 'vllm=g6e.xlarge', '--format', 'json')).out) as AdvisorReport;
    expect(json.utilizationNotes).toEqual([expect.stringMatching(/^no utilisation data/)]);
    expect(json.capacity[0].utilization).toBeUndefined();
  });

  test('a CloudWatch error fails the command with the service\'s error', async () => {
    cw = await startFakeCloudWatch({ series: {}, failWith: { status: 400, type: 'com.amazonaws.cloudwatch#InvalidParameterValueException', message: 'The parameter StartTime is invalid.' } });
    const { code, err } = await advise('--self-hosted', 'vllm=g6e.xlarge', '--cluster', 'c1', '--cloudwatch-endpoint', cw.endpoint);
    expect(code).toBe(EXIT.FAILED);
    expect(err).toMatch(/reading GPU utilisation from CloudWatch failed: InvalidParameterValueException: The parameter StartTime is invalid\./);
  });

  test.each([
    [['--self-hosted', 'vllm'], /--self-hosted must be TARGET=INSTANCE_TYPE/],
    [['--self-hosted', 'vllm=g6e.xlarge', '--workload', 'other=models/x'], /--workload other: no self-hosted target of that id/],
    [['--self-hosted', 'vllm=g6e.xlarge', '--workload', 'vllm=Models/x'], /--workload must be TARGET=NAMESPACE\/NAME/],
    [['--self-hosted', 'vllm=g6e.xlarge', '--cluster', 'bad name'], /--cluster must name an EKS cluster/],
  ])('bad flags %j: a usage error naming the flag', async (flags, message) => {
    const { code, err } = await advise(...flags);
    expect(code).toBe(EXIT.USAGE);
    expect(err).toMatch(message);
  });
});

describe('readGpuUtilization', () => {
  test('targets are split so no request exceeds 500 queries or 100,800 data points at an hourly period', async () => {
    expect(targetsPerRequest(720)).toBe(140);
    expect(targetsPerRequest(744)).toBe(135);
    expect(targetsPerRequest(24)).toBe(GET_METRIC_DATA_LIMITS.maxQueries);
    const pods = Array.from({ length: 141 }, (_, i) => `m${i}`);
    cw = await startFakeCloudWatch({ series: Object.fromEntries(pods.map((p, i) => [p, [[start + i * HOUR, i % 100]]])) });
    const client = new CloudWatchClient({ endpoint: cw.endpoint, region: 'eu-west-1' });
    const samples = await readGpuUtilization(client, 'c1', pods.map((p) => ({ targetId: p, namespace: 'models', podName: p })), start, end);
    client.destroy();
    expect(cw.requests.map((r) => r.body.MetricDataQueries.length)).toEqual([140, 1]);
    for (const r of cw.requests) expect(r.body.MetricDataQueries.length * 720).toBeLessThanOrEqual(GET_METRIC_DATA_LIMITS.maxDatapoints);
    expect(samples.get('m140')).toEqual([{ hour: new Date(start + 140 * HOUR).toISOString().slice(0, 13), gpuPercent: 40 }]);
    expect(samples.size).toBe(141);
  });
});

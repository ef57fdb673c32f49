/**
 * `cdk-ai-gateway advise --month YYYY-MM (--table NAME | --local PATH)`: the workload advisor.
 * Reads a month of usage records (the usage table's raw records, or local-mode usage lines), the
 * self-hosted capacity (`--capacity`, `--self-hosted`), their GPU utilisation (CloudWatch
 * Container Insights with `--cluster`, or samples in the `--capacity` file), and the Bedrock
 * prices of the gateway configuration (`--config`), and reports per workflow what the route
 * decision needs, with a recommendation (see cli/advise/analyse.ts). Output: tables, JSON or an
 * HTML page with charts. Reads only (`Scan` of the usage table, `cloudwatch:GetMetricData`): grant
 * the table with `UsageTable.grantReadUsage`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { advise, AdvisorInput, TargetCapacity, TokenPrice } from './advise/analyse';
import { ThroughputFigure } from './advise/catalogue';
import { formatAdvisorHtml } from './advise/format-html';
import { formatAdvisorText } from './advise/format-text';
import type { TargetWorkload } from './advise/cloudwatch';
import { AdvisorRecord } from './advise/records';
import { readLocalUsage } from './advise/readers';
import { CliIo, EXIT } from './io';

export const ADVISE_USAGE = `Usage: cdk-ai-gateway advise --month YYYY-MM (--table NAME | --local PATH) [options]

Reports, per workflow of the month: volume and steadiness, token mix, latency class, sensitivity,
routes and cost; token waste; capacity waste of self-hosted targets; the cost of each alternative
(Bedrock on-demand, batch, cached, self-hosted per GPU instance) with break-even volume and
utilisation; and a recommendation with its reasons.

Options:
  --month YYYY-MM     the calendar month (UTC)
  --table NAME        the usage table (UsageTable.tableName): reads its raw records (a Scan)
  --local PATH        local-mode usage lines instead (the JSON lines 'serve' writes to stdout): a file or a directory
  --config FILE       the gateway configuration: the Bedrock prices the alternatives are computed at
  --capacity FILE     self-hosted capacity (JSON): {"targets": [{"targetId", "instanceType", "instances"?, "instanceHours"?,
                      "hourlyUsd"?, "utilization"?: [{"hour": "YYYY-MM-DDTHH", "gpuPercent"}]}],
                      "throughput"?: [{"instanceType", "outputTokensPerSecond", "source": {"url", "date", "note"}}]}
                      ("utilization": a file export of the GPU utilisation; it wins over CloudWatch for its target)
  --self-hosted TARGET=INSTANCE_TYPE
                      a self-hosted target and its GPU instance type, without a --capacity file (repeatable)
  --cluster NAME      read each self-hosted target's hourly GPU utilisation from CloudWatch: Container Insights'
                      pod_gpu_utilization (ClusterName NAME, Namespace, PodName) for the month (cloudwatch:GetMetricData);
                      a target's instance hours are then the hours its pods reported, unless the file gives them
  --workload TARGET=NAMESPACE/NAME
                      where a target's pods are (default: namespace 'models', the target id as workload name,
                      as SelfHostedModels deploys them) (repeatable)
  --cloudwatch-endpoint URL
                      CloudWatch endpoint override
  --format FORMAT     table (default), json or html
  --out FILE          write the report to FILE instead of standard output
  --region REGION     AWS Region (default: the SDK's resolution)
  --endpoint URL      DynamoDB endpoint override
  --help              this text`;

class AdviseArgsError extends Error {}

/** The namespace SelfHostedModels deploys models in (`modelNamespace`'s default). */
const DEFAULT_MODEL_NAMESPACE = 'models';

const FORMATS = ['table', 'json', 'html'] as const;

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    throw new AdviseArgsError(`${what} ${file} is not readable JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The Bedrock prices of a gateway configuration: `prices` of the model ids its Bedrock targets are priced by. */
export function bedrockPricesOf(config: unknown): Record<string, TokenPrice> {
  const c = (config ?? {}) as { targets?: { kind?: string; modelId?: string; priceModelId?: string }[]; prices?: Record<string, TokenPrice> };
  const out: Record<string, TokenPrice> = {};
  for (const t of c.targets ?? []) {
    const id = t.kind === 'bedrock' ? (t.priceModelId ?? t.modelId) : undefined;
    const price = id !== undefined ? c.prices?.[id] : undefined;
    if (id !== undefined && price && typeof price.inputUsdPer1K === 'number' && typeof price.outputUsdPer1K === 'number') out[id] = price;
  }
  return out;
}

function capacityOf(value: unknown): { targets: TargetCapacity[]; throughput: ThroughputFigure[] } {
  const v = (value ?? {}) as { targets?: unknown; throughput?: unknown };
  if (v.targets !== undefined && !Array.isArray(v.targets)) throw new AdviseArgsError('--capacity: "targets" must be a list.');
  if (v.throughput !== undefined && !Array.isArray(v.throughput)) throw new AdviseArgsError('--capacity: "throughput" must be a list.');
  const targets = (v.targets ?? []) as TargetCapacity[];
  for (const [i, t] of targets.entries()) {
    if (typeof t.targetId !== 'string' || typeof t.instanceType !== 'string') {
      throw new AdviseArgsError(`--capacity: targets[${i}] needs "targetId" and "instanceType" strings.`);
    }
  }
  const throughput = (v.throughput ?? []) as ThroughputFigure[];
  for (const [i, f] of throughput.entries()) {
    if (typeof f.instanceType !== 'string' || typeof f.outputTokensPerSecond !== 'number' || !(f.outputTokensPerSecond > 0)
      || typeof f.source?.url !== 'string' || typeof f.source?.date !== 'string') {
      throw new AdviseArgsError(`--capacity: throughput[${i}] needs "instanceType", "outputTokensPerSecond" > 0 and a "source" with "url" and "date" (figures cite their source).`);
    }
  }
  return { targets, throughput };
}

/** `--self-hosted TARGET=INSTANCE_TYPE` flags: targets the --capacity file does not name. */
function selfHostedOf(flags: readonly string[], known: readonly TargetCapacity[]): TargetCapacity[] {
  return flags.map((flag) => {
    const m = /^([^=\s]+)=([a-z0-9]+\.[a-z0-9]+)$/.exec(flag);
    if (!m) throw new AdviseArgsError(`--self-hosted must be TARGET=INSTANCE_TYPE (e.g. llama-8b=g6.xlarge), received ${JSON.stringify(flag)}.`);
    if (known.some((t) => t.targetId === m[1])) throw new AdviseArgsError(`--self-hosted ${m[1]}: the --capacity file already names this target.`);
    return { targetId: m[1], instanceType: m[2] };
  });
}

/** Each capacity target's workload: `--workload TARGET=NAMESPACE/NAME`, or SelfHostedModels' defaults. */
function workloadsOf(flags: readonly string[], targets: readonly TargetCapacity[]): Map<string, TargetWorkload> {
  const out = new Map(targets.map((t) => [t.targetId, { targetId: t.targetId, namespace: DEFAULT_MODEL_NAMESPACE, podName: t.targetId }]));
  for (const flag of flags) {
    const m = /^([^=\s]+)=([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(flag);
    if (!m) throw new AdviseArgsError(`--workload must be TARGET=NAMESPACE/NAME (Kubernetes names), received ${JSON.stringify(flag)}.`);
    if (!out.has(m[1])) throw new AdviseArgsError(`--workload ${m[1]}: no self-hosted target of that id; give it with --capacity or --self-hosted.`);
    out.set(m[1], { targetId: m[1], namespace: m[2], podName: m[4] });
  }
  return out;
}

/**
 * The capacity targets with their GPU utilisation: a target's file samples win; the others are
 * read from CloudWatch with `cluster`. Notes say where the samples came from, or that there are none.
 */
async function withUtilization(
  targets: readonly TargetCapacity[], workloads: ReadonlyMap<string, TargetWorkload>, month: string, cluster: string | undefined,
  client: { region?: string; endpoint?: string },
): Promise<{ targets: TargetCapacity[]; notes: string[] }> {
  const fromFile = targets.filter((t) => (t.utilization?.length ?? 0) > 0);
  const notes = fromFile.length > 0 ? [`${fromFile.map((t) => t.targetId).join(', ')}: samples from the --capacity file`] : [];
  const missing = targets.filter((t) => (t.utilization?.length ?? 0) === 0);
  if (cluster === undefined) {
    if (fromFile.length === 0) notes.push('no utilisation data: give --cluster NAME (CloudWatch Container Insights) or samples in the --capacity file; capacity waste is then estimated from throughput figures, where there are any');
    return { targets: [...targets], notes };
  }
  if (missing.length === 0) return { targets: [...targets], notes };
  const [{ CloudWatchClient }, { NodeHttpHandler }, { readGpuUtilization }, { monthRange }] = await Promise.all([
    import('@aws-sdk/client-cloudwatch'), import('@smithy/node-http-handler'), import('./advise/cloudwatch.js'), import('./advise/readers.js'),
  ]);
  const cw = new CloudWatchClient({
    maxAttempts: 3,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 30_000, throwOnRequestTimeout: true }),
    ...(client.region !== undefined ? { region: client.region } : {}),
    ...(client.endpoint !== undefined ? { endpoint: client.endpoint } : {}),
  });
  const { start, end } = monthRange(month);
  let samples: Map<string, { hour: string; gpuPercent: number }[]>;
  try {
    samples = await readGpuUtilization(cw, cluster, missing.map((t) => workloads.get(t.targetId)!), start, end);
  } finally {
    cw.destroy();
  }
  const out = targets.map((t) => {
    const read = samples.get(t.targetId);
    if (read === undefined) return t;
    const w = workloads.get(t.targetId)!;
    if (read.length === 0) {
      notes.push(`${t.targetId}: no CloudWatch data points (ContainerInsights pod_gpu_utilization, ClusterName ${cluster}, Namespace ${w.namespace}, PodName ${w.podName})`);
      return t;
    }
    notes.push(`${t.targetId}: ${read.length} hourly samples from CloudWatch (cluster ${cluster}, ${w.namespace}/${w.podName})`);
    // The hours the pods reported are the hours a node ran them, unless the operator gave the hours billed.
    return { ...t, utilization: read, instanceHours: t.instanceHours ?? read.length * (t.instances ?? 1) };
  });
  return { targets: out, notes };
}

/**
 * Runs `advise [flags]`; resolves to the exit code (0 done, 1 failed, 2 bad command line).
 *
 * @example
 * process.exitCode = await runAdviseCommand(['--local', 'usage.log', '--month', '2026-11', '--format', 'html', '--out', 'advice.html'], PROCESS_IO);
 */
export async function runAdviseCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let input: AdvisorInput;
  let format: (typeof FORMATS)[number];
  let out: string | undefined;
  try {
    let values;
    try {
      ({ values } = parseArgs({
        args: [...argv], strict: true, allowPositionals: false,
        options: {
          month: { type: 'string' }, table: { type: 'string' }, local: { type: 'string' }, config: { type: 'string' }, capacity: { type: 'string' },
          format: { type: 'string' }, out: { type: 'string' }, region: { type: 'string' }, endpoint: { type: 'string' }, help: { type: 'boolean', default: false },
          cluster: { type: 'string' }, 'self-hosted': { type: 'string', multiple: true }, workload: { type: 'string', multiple: true },
          'cloudwatch-endpoint': { type: 'string' },
        },
      }));
    } catch (error) {
      throw new AdviseArgsError(error instanceof Error ? error.message : String(error));
    }
    if (values.help) {
      io.stdout(ADVISE_USAGE);
      return EXIT.OK;
    }
    if (!values.month || !/^\d{4}-(0[1-9]|1[0-2])$/.test(values.month)) {
      throw new AdviseArgsError(`--month must be a month as YYYY-MM, received ${JSON.stringify(values.month ?? '')}.`);
    }
    if ((values.table === undefined) === (values.local === undefined)) throw new AdviseArgsError('Give exactly one of --table NAME and --local PATH.');
    if (values.table !== undefined && !/^[A-Za-z0-9_.-]{3,255}$/.test(values.table)) {
      throw new AdviseArgsError(`--table must name a DynamoDB table (3 to 255 of A-Z a-z 0-9 _ . -), received ${JSON.stringify(values.table)}.`);
    }
    const chosen = values.format ?? 'table';
    if (!(FORMATS as readonly string[]).includes(chosen)) throw new AdviseArgsError(`--format ${JSON.stringify(chosen)} is not allowed; allowed: ${FORMATS.join(', ')}.`);
    format = chosen as (typeof FORMATS)[number];
    out = values.out;
    const capacity = values.capacity !== undefined ? capacityOf(readJson(values.capacity, '--capacity')) : { targets: [], throughput: [] };
    capacity.targets = [...capacity.targets, ...selfHostedOf(values['self-hosted'] ?? [], capacity.targets)];
    const workloads = workloadsOf(values.workload ?? [], capacity.targets);
    if (values.cluster !== undefined && !/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(values.cluster)) {
      throw new AdviseArgsError(`--cluster must name an EKS cluster (1 to 100 of A-Z a-z 0-9 - _, starting with a letter or digit), received ${JSON.stringify(values.cluster)}.`);
    }
    const bedrockPrices = values.config !== undefined ? bedrockPricesOf(readJson(values.config, '--config')) : {};
    let records: AdvisorRecord[];
    if (values.local !== undefined) {
      try {
        records = readLocalUsage(values.local, values.month);
      } catch (error) {
        throw new AdviseArgsError(`--local ${values.local}: ${error instanceof Error ? error.message : String(error)}`);
      }
    } else {
      const { DYNAMODB_PROFILES } = await import('../lambda/clients/dynamodb.js');
      const { documentClient } = await import('../lambda/clients/dynamodb-document.js');
      const { readLedgerMonth } = await import('./advise/readers.js');
      const client = documentClient({ ...DYNAMODB_PROFILES.OPERATOR, region: values.region, endpoint: values.endpoint });
      try {
        records = await readLedgerMonth(client, values.table!, values.month);
      } catch (error) {
        io.stderr(`error: reading ${values.table} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
        return EXIT.FAILED;
      } finally {
        client.destroy();
      }
    }
    let utilization: { targets: TargetCapacity[]; notes: string[] };
    try {
      utilization = await withUtilization(capacity.targets, workloads, values.month, values.cluster, { region: values.region, endpoint: values['cloudwatch-endpoint'] });
    } catch (error) {
      io.stderr(`error: reading GPU utilisation from CloudWatch failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      return EXIT.FAILED;
    }
    input = { month: values.month, records, capacity: utilization.targets, throughput: capacity.throughput, bedrockPrices, utilizationNotes: utilization.notes };
  } catch (error) {
    if (error instanceof AdviseArgsError) {
      io.stderr(`error: ${error.message}\n\n${ADVISE_USAGE}`);
      return EXIT.USAGE;
    }
    throw error;
  }
  const report = advise(input);
  const text = format === 'json' ? JSON.stringify(report, null, 2) : format === 'html' ? formatAdvisorHtml(report) : formatAdvisorText(report);
  if (out !== undefined) {
    writeFileSync(out, text);
    io.stderr(`wrote ${out}`);
  } else {
    io.stdout(text);
  }
  return EXIT.OK;
}

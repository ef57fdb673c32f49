/**
 * `cdk-ai-gateway advise --month YYYY-MM (--table NAME | --local PATH)`: the workload advisor.
 * Reads a month of usage records (the usage table's raw records, or local-mode usage lines), the
 * self-hosted capacity and GPU utilisation (`--capacity`), and the Bedrock prices of the gateway
 * configuration (`--config`), and reports per workflow what the route decision needs, with a
 * recommendation (see cli/advise/analyse.ts). Output: tables, JSON or an HTML page with charts.
 * Reads only (`Scan` of the usage table): grant it with `UsageTable.grantReadUsage`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { advise, AdvisorInput, TargetCapacity, TokenPrice } from './advise/analyse';
import { ThroughputFigure } from './advise/catalogue';
import { formatAdvisorHtml } from './advise/format-html';
import { formatAdvisorText } from './advise/format-text';
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
  --format FORMAT     table (default), json or html
  --out FILE          write the report to FILE instead of standard output
  --region REGION     AWS Region (default: the SDK's resolution)
  --endpoint URL      DynamoDB endpoint override
  --help              this text`;

class AdviseArgsError extends Error {}

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
    input = { month: values.month, records, capacity: capacity.targets, throughput: capacity.throughput, bedrockPrices };
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

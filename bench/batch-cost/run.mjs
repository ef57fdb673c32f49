// Batch cost: what 10,000 classification requests cost on-demand, as Bedrock batch inference
// lines and as a self-hosted `vllm run-batch` Job, from the library's own price tables and
// pricing code (BedrockPrices, SelfHostedPrice, the router's costUsd/batchPrice). Prints numbers;
// it measures nothing and asserts nothing.
//
//   npm run batch-cost [-- --requests N --input-tokens N --output-tokens N --gpu-hour-usd X
//                         --spot-discount-percent P --output-tps N --input-tps N --startup-minutes M
//                         --interactive-utilization-percent P]
//
// Assumptions (flags): a classification prompt of 400 input tokens answered in 5 output tokens;
// one g6e.xlarge (1 × L40S) at $1.861/h on demand (us-east-1), spot at 60% off; vLLM on it
// prefilling 12,000 and generating 1,200 tokens/s across concurrent requests; a run-batch Job
// pays its node's start and the model load (10 minutes) once; the interactive self-hosted route
// runs at 40% utilization (idle hours are paid too).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_DIR } from '../lib/setup.mjs';

const require = createRequire(join(REPO_DIR, 'package.json'));
require('ts-node').register({ transpileOnly: true, preferTsExts: true, project: join(REPO_DIR, 'tsconfig.json') });
const { BedrockPrices } = require(join(REPO_DIR, 'lib/usage/bedrock-prices.ts'));
const { SelfHostedPrice } = require(join(REPO_DIR, 'lib/usage/self-hosted-price.ts'));
const { resolveGatewayConfig } = require(join(REPO_DIR, 'lambda/shared/defaults.ts'));
const { batchPrice, costUsd } = require(join(REPO_DIR, 'lambda/router/usage/cost.ts'));

const { values: opts } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    'input-tokens': { type: 'string', default: '400' },
    'output-tokens': { type: 'string', default: '5' },
    'gpu-hour-usd': { type: 'string', default: '1.861' },
    'spot-discount-percent': { type: 'string', default: '60' },
    'output-tps': { type: 'string', default: '1200' },
    'input-tps': { type: 'string', default: '12000' },
    'startup-minutes': { type: 'string', default: '10' },
    'interactive-utilization-percent': { type: 'string', default: '40' },
  },
});
const n = Number(opts.requests);
const input = Number(opts['input-tokens']);
const output = Number(opts['output-tokens']);
const gpuHour = Number(opts['gpu-hour-usd']);
const spotHour = gpuHour * (1 - Number(opts['spot-discount-percent']) / 100);
const outputTps = Number(opts['output-tps']);
const inputTps = Number(opts['input-tps']);
const usage = { inputTokens: input, outputTokens: output, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 };

/** The resolved price the router charges with, through the same resolution as a configuration. */
function resolved(price) {
  return resolveGatewayConfig({
    tenants: [], targets: [], routes: [], prices: { m: price },
  }).prices.get('m');
}

const rows = [];
for (const model of ['amazon.nova-micro-v1:0', 'amazon.nova-lite-v1:0', 'anthropic.claude-haiku-4-5-20251001-v1:0', 'meta.llama3-1-8b-instruct-v1:0']) {
  const price = resolved(BedrockPrices.withBatchDiscount(BedrockPrices.of(model)));
  rows.push([`Bedrock on-demand  ${model}`, n * costUsd(usage, price)]);
  rows.push([`Bedrock batch      ${model}`, n * costUsd(usage, batchPrice(price))]);
}
const interactive = resolved(SelfHostedPrice.fromGpuHour(gpuHour, outputTps, {
  inputTokensPerSecond: inputTps, utilizationPercent: Number(opts['interactive-utilization-percent']),
}));
rows.push([`self-hosted on-demand (${opts['interactive-utilization-percent']}% utilized, on-demand node)`, n * costUsd(usage, interactive)]);
// A run-batch Job keeps its GPU busy: the GPU hours it uses, on spot, plus its start.
const jobSeconds = n * (input / inputTps + output / outputTps) + Number(opts['startup-minutes']) * 60;
rows.push([`self-hosted batch Job (spot, ${(jobSeconds / 3600).toFixed(2)} GPU h incl. start)`, (jobSeconds / 3600) * spotHour]);

const width = Math.max(...rows.map(([name]) => name.length));
process.stdout.write(`${n} classification requests, ${input} input + ${output} output tokens each\n\n`);
for (const [name, usd] of rows) process.stdout.write(`${name.padEnd(width)}  ${usd.toFixed(4).padStart(10)} USD\n`);

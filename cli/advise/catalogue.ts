/**
 * The advisor's GPU instance catalogue: the instance types the self-hosted constructs support
 * (`GpuInstanceTypes`), their approximate Linux on-demand price in us-east-1 (the public EC2 price
 * list, 2025; verify for your Region), and a published serving throughput where one is known, with
 * its source and date. Instance types without a published figure are priced only from this
 * deployment's own measurement or a figure the operator supplies (`--capacity` file).
 */

/** Where a throughput figure comes from. */
export interface ThroughputSource {
  /** A link to the measurement, or `measured:` and what was measured for this deployment's own. */
  readonly url: string;
  /** When it was published or measured (YYYY-MM-DD). */
  readonly date: string;
  /** What was measured (model, engine, concurrency). */
  readonly note: string;
}

export interface ThroughputFigure {
  readonly instanceType: string;
  /** Output tokens per second of one instance across concurrent requests. */
  readonly outputTokensPerSecond: number;
  readonly source: ThroughputSource;
}

export interface GpuInstance {
  readonly instanceType: string;
  readonly gpus: string;
  readonly onDemandUsdPerHour: number;
}

/** The supported instance types (one size per family: the smallest that holds an 8B model in BF16). */
export const GPU_INSTANCES: readonly GpuInstance[] = [
  { instanceType: 'g5.xlarge', gpus: '1 × A10G 24 GiB', onDemandUsdPerHour: 1.006 },
  { instanceType: 'g6.xlarge', gpus: '1 × L4 24 GiB', onDemandUsdPerHour: 0.8048 },
  { instanceType: 'g6e.xlarge', gpus: '1 × L40S 48 GiB', onDemandUsdPerHour: 1.861 },
  { instanceType: 'p4d.24xlarge', gpus: '8 × A100 40 GiB', onDemandUsdPerHour: 32.773 },
  { instanceType: 'p5.48xlarge', gpus: '8 × H100 80 GiB', onDemandUsdPerHour: 98.32 },
];

/**
 * Published figures for an 8B model (Llama 3.1 8B Instruct, BF16, vLLM), scaled to the instance by
 * its GPU count (one model replica per GPU, data parallel).
 */
export const PUBLISHED_THROUGHPUT: readonly ThroughputFigure[] = [
  {
    instanceType: 'p4d.24xlarge',
    outputTokensPerSecond: 8 * 495,
    source: {
      url: 'https://johnmusgrave.com/p/vllm-throughput-latency-sweep-on',
      date: '2026-12-07',
      note: 'Llama-3.1-8B-Instruct BF16 on one A100 40GB with vLLM: about 75 tokens/s at concurrency 1 and 6.6× that at the '
        + 'concurrency-8 knee (≈ 495 tokens/s), × 8 GPUs; date of retrieval',
    },
  },
  {
    instanceType: 'p5.48xlarge',
    outputTokensPerSecond: 8 * 12_500,
    source: {
      url: 'https://www.morphllm.com/vllm-benchmarks',
      date: '2026-04-05',
      note: 'Llama 3.1 8B BF16 on one H100 80GB with vLLM (FlashInfer, 0.8 GPU memory utilisation): about 12,500 output tokens/s '
        + 'batched, × 8 GPUs; a third-party compilation, peak throughput',
    },
  },
];

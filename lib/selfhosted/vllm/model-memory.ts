import { GpuInstanceSpec } from '../gpu-instances';

/**
 * The shape of a transformer model that decides how much GPU memory vLLM needs: its weights and
 * its KV cache per token (`2 × layers × kvHeads × headDim × bytes`).
 */
export interface ModelArchitecture {
  /** Parameters in billions (8.03 for Llama 3.1 8B). */
  readonly parameterBillions: number;
  /** Transformer layers (`num_hidden_layers`). */
  readonly layers: number;
  /** Key/value heads (`num_key_value_heads`; fewer than attention heads with grouped-query attention). */
  readonly kvHeads: number;
  /** Dimension of one head (`head_dim`, or `hidden_size / num_attention_heads`). */
  readonly headDim: number;
  /** The context length the model is configured for (`max_position_embeddings`), which vLLM uses when `--max-model-len` is not given. */
  readonly contextLength: number;
  /**
   * Bytes per weight and per KV-cache element (2 for bf16/fp16, 1 for fp8).
   * @default 2
   */
  readonly bytesPerParameter?: number;
}

// From each model's config.json on Hugging Face (num_hidden_layers, num_key_value_heads, head_dim or
// hidden_size / num_attention_heads, max_position_embeddings) and its published parameter count.
const KNOWN: { readonly [modelId: string]: ModelArchitecture } = {
  'meta-llama/llama-3.1-8b-instruct': { parameterBillions: 8.03, layers: 32, kvHeads: 8, headDim: 128, contextLength: 131072 },
  'meta-llama/llama-3.1-70b-instruct': { parameterBillions: 70.6, layers: 80, kvHeads: 8, headDim: 128, contextLength: 131072 },
  'meta-llama/llama-3.2-3b-instruct': { parameterBillions: 3.21, layers: 28, kvHeads: 8, headDim: 128, contextLength: 131072 },
  'qwen/qwen2.5-7b-instruct': { parameterBillions: 7.62, layers: 28, kvHeads: 4, headDim: 128, contextLength: 32768 },
  'qwen/qwen2.5-32b-instruct': { parameterBillions: 32.8, layers: 64, kvHeads: 8, headDim: 128, contextLength: 32768 },
  'qwen/qwen2.5-0.5b-instruct': { parameterBillions: 0.49, layers: 24, kvHeads: 2, headDim: 64, contextLength: 32768 },
  'mistralai/mistral-7b-instruct-v0.3': { parameterBillions: 7.25, layers: 32, kvHeads: 8, headDim: 128, contextLength: 32768 },
};

/** What vLLM reserves per GPU besides weights and KV cache (CUDA context, activations, graphs): 1.5 GiB. */
const OVERHEAD_PER_GPU_BYTES = 1.5 * 2 ** 30;

/** The architecture of a model this library knows by its Hugging Face id (case-insensitive). */
export function knownArchitecture(modelId: string | undefined): ModelArchitecture | undefined {
  return modelId === undefined ? undefined : KNOWN[modelId.toLowerCase()];
}

/** How a model fits a replica's GPUs. */
export interface MemoryFit {
  /** GPU memory vLLM may use, in bytes (`gpuMemoryUtilization × GPU memory × GPUs`). */
  readonly usableBytes: number;
  /** The weights, in bytes. */
  readonly weightBytes: number;
  /** KV-cache bytes per token. */
  readonly kvBytesPerToken: number;
  /** Tokens the KV cache holds: the longest `--max-model-len` that fits; 0 or less when the weights alone do not fit. */
  readonly maxTokens: number;
}

/** The memory budget of one replica (a lower bound on what vLLM needs; its own profiling decides at start). */
export function memoryFit(arch: ModelArchitecture, gpu: GpuInstanceSpec, gpus: number, gpuMemoryUtilization: number): MemoryFit {
  const bytes = arch.bytesPerParameter ?? 2;
  const usableBytes = gpu.gpuMemoryGiB * 2 ** 30 * gpus * gpuMemoryUtilization;
  const weightBytes = arch.parameterBillions * 1e9 * bytes;
  const kvBytesPerToken = 2 * arch.layers * arch.kvHeads * arch.headDim * bytes;
  const maxTokens = Math.floor((usableBytes - weightBytes - OVERHEAD_PER_GPU_BYTES * gpus) / kvBytesPerToken);
  return { usableBytes, weightBytes, kvBytesPerToken, maxTokens };
}

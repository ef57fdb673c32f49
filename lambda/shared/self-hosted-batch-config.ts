/**
 * What the batch worker needs to run a self-hosted target's batch lines as a `vllm run-batch`
 * Kubernetes Job, as the construct (`lib/batch/self-hosted-batch.ts`) writes it into the worker's
 * environment ({@link SELF_HOSTED_BATCH_ENV}, JSON) and the worker reads it
 * (`lambda/router/batch/self-hosted-jobs.ts`). Dependency-free on purpose: `lib/` imports it.
 */

/** The environment variable with the JSON {@link SelfHostedBatchConfig}. */
export const SELF_HOSTED_BATCH_ENV = 'GATEWAY_BATCH_SELF_HOSTED';

/** A pod toleration, as the pod spec spells it. */
export interface SelfHostedBatchToleration {
  readonly key: string;
  readonly operator: string;
  readonly value?: string;
  readonly effect?: string;
}

/**
 * What a target's weights add to the Job's pod: the model Deployment's own weights fragments (the
 * construct binds `ModelWeights` for the batch service account), so the Job loads the weights as the
 * Deployment does — from S3, or from Hugging Face with a token fetched at pod start.
 */
export interface SelfHostedBatchWeights {
  /** Init containers run after the input is fetched and before `vllm run-batch`. */
  readonly initContainers: readonly Record<string, unknown>[];
  /** Extra volumes of the pod. */
  readonly volumes: readonly Record<string, unknown>[];
  /** Extra volume mounts of the `run` container. */
  readonly volumeMounts: readonly Record<string, unknown>[];
  /** Extra environment variables of the `run` container. */
  readonly env: readonly { readonly name: string; readonly value: string }[];
}

/** One self-hosted target whose batch lines run as Jobs. */
export interface SelfHostedBatchTarget {
  /** The vLLM image. */
  readonly image: string;
  /** What vLLM loads (`--model`): a Hugging Face id or a path. */
  readonly model: string;
  /** The name the target's requests carry as `model` (`--served-model-name`). */
  readonly servedModelName: string;
  /** Further vLLM engine arguments. */
  readonly engineArgs?: readonly string[];
  /** How the pod gets the weights. @default - vLLM downloads `model` itself */
  readonly weights?: SelfHostedBatchWeights;
  /** GPUs one Job requests. */
  readonly gpus: number;
  /** The price of one GPU hour in USD (the instance's hourly price divided by its GPUs). */
  readonly gpuHourUsd: number;
  /** The GPU pool's node selector (the instance type included). */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** The GPU pool's tolerations. */
  readonly tolerations: readonly SelfHostedBatchToleration[];
}

/** Idle hours (UTC, `[startHour, endHour)`, wrapping midnight when `startHour > endHour`). */
export interface IdleHours {
  readonly startHour: number;
  readonly endHour: number;
}

export interface SelfHostedBatchConfig {
  readonly clusterName: string;
  /** The cluster's API server, `https://…`. @default - EKS `DescribeCluster` at the worker's first use */
  readonly endpoint?: string;
  /** The cluster's certificate authority (base64 PEM, as EKS reports it). @default - with `endpoint`: the system's trust store; without: `DescribeCluster`'s */
  readonly certificateAuthority?: string;
  readonly region: string;
  /** The namespace the Jobs run in. */
  readonly namespace: string;
  /** The Jobs' service account (its Pod Identity association reads inputs and writes outputs). */
  readonly serviceAccountName: string;
  /** The low priority class of batch pods. */
  readonly priorityClassName: string;
  /** An image with the AWS CLI (moves the files between the bucket and the pod). */
  readonly awsCliImage: string;
  /** Jobs start inside these hours when they still fit their completion window. @default start at once */
  readonly idleHours?: IdleHours;
  /** By target id. */
  readonly targets: Readonly<Record<string, SelfHostedBatchTarget>>;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The problems of a configuration, each naming the field, what it holds and what is allowed
 * (empty when it is valid).
 *
 * @example selfHostedBatchProblems(JSON.parse(env.GATEWAY_BATCH_SELF_HOSTED)) // []
 */
export function selfHostedBatchProblems(value: unknown): string[] {
  const problems: string[] = [];
  const c = value as Partial<Record<keyof SelfHostedBatchConfig, unknown>> | null;
  if (c === null || typeof c !== 'object') return ['the self-hosted batch configuration must be a JSON object.'];
  const text = (name: keyof SelfHostedBatchConfig, pattern?: RegExp, allowed?: string): void => {
    const v = c[name];
    if (typeof v !== 'string' || v === '' || (pattern && !pattern.test(v))) {
      problems.push(`${name} must be ${allowed ?? 'a non-empty string'}; received ${JSON.stringify(v)}.`);
    }
  };
  text('clusterName');
  if (c.endpoint !== undefined) text('endpoint', /^https?:\/\/[^/]+\/?$/, 'the API server URL (https://host[:port])');
  text('region', /^[a-z]{2}(-[a-z]+)+-\d+$/, 'a Region such as us-east-1');
  for (const name of ['namespace', 'serviceAccountName', 'priorityClassName'] as const) text(name, DNS_LABEL, 'a DNS label (lower-case letters, digits, \'-\', at most 63)');
  text('awsCliImage');
  if (c.certificateAuthority !== undefined && typeof c.certificateAuthority !== 'string') problems.push('certificateAuthority must be the base64 PEM of the cluster\'s CA.');
  if (c.idleHours !== undefined) {
    const h = c.idleHours as Partial<IdleHours> | null;
    const hour = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 23;
    if (h === null || !hour(h.startHour) || !hour(h.endHour) || h.startHour === h.endHour) {
      problems.push(`idleHours must be {startHour, endHour}, two different whole hours from 0 to 23 (UTC); received ${JSON.stringify(h)}.`);
    }
  }
  const targets = c.targets as Record<string, Partial<SelfHostedBatchTarget>> | null | undefined;
  if (targets === null || typeof targets !== 'object' || Object.keys(targets).length === 0) {
    problems.push('targets must name at least one self-hosted target.');
    return problems;
  }
  for (const [id, t] of Object.entries(targets)) {
    for (const name of ['image', 'model', 'servedModelName'] as const) {
      if (typeof t?.[name] !== 'string' || t[name] === '') problems.push(`targets['${id}'].${name} must be a non-empty string; received ${JSON.stringify(t?.[name])}.`);
    }
    if (!Number.isInteger(t?.gpus) || (t.gpus as number) < 1 || (t.gpus as number) > 8) problems.push(`targets['${id}'].gpus must be a whole number from 1 to 8; received ${JSON.stringify(t?.gpus)}.`);
    if (typeof t?.gpuHourUsd !== 'number' || !(t.gpuHourUsd > 0) || !Number.isFinite(t.gpuHourUsd)) {
      problems.push(`targets['${id}'].gpuHourUsd must be a positive price in USD; received ${JSON.stringify(t?.gpuHourUsd)}.`);
    }
    if (t?.nodeSelector === null || typeof t?.nodeSelector !== 'object') problems.push(`targets['${id}'].nodeSelector must be an object of labels.`);
    if (!Array.isArray(t?.tolerations)) problems.push(`targets['${id}'].tolerations must be a list.`);
    if (t?.weights !== undefined) {
      const w = t.weights as Partial<Record<keyof SelfHostedBatchWeights, unknown>> | null;
      for (const name of ['initContainers', 'volumes', 'volumeMounts', 'env'] as const) {
        if (w === null || typeof w !== 'object' || !Array.isArray(w[name])) problems.push(`targets['${id}'].weights.${name} must be a list.`);
      }
    }
  }
  return problems;
}

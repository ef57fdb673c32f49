/**
 * The Kubernetes Job that runs a self-hosted target's batch lines with `vllm run-batch` on the GPU
 * pool (pure: the launcher applies what this returns). run-batch cannot read `s3://` (only local
 * paths and http(s) URLs), so the pod's containers move the files through an `emptyDir` with the
 * AWS CLI, whose credentials come from EKS Pod Identity (the service account's association):
 *
 *   init `fetch`  aws s3 cp <input> /work/input.jsonl
 *   init …        the weights' init containers, as the model's Deployment runs them (S3 sync, HF token)
 *   init `run`    vllm run-batch -i /work/input.jsonl -o /work/output.jsonl --model … (the GPUs)
 *   main `store`  aws s3 cp /work/output.jsonl <output>
 *
 * Placement: the GPU pool's node selector and tolerations, spot capacity preferred
 * (`karpenter.sh/capacity-type`), and a low priority class that never preempts the interactive
 * model servers. The Job ends by the batch's completion window (`activeDeadlineSeconds`).
 */

import type { SelfHostedBatchWeights } from '../shared/self-hosted-batch-config';

/** A toleration as the pod spec spells it. */
export interface JobToleration {
  readonly key: string;
  readonly operator: string;
  readonly value?: string;
  readonly effect?: string;
}

export interface RunBatchJobSpec {
  /** The Job's name (a DNS label, unique per run: the gateway's job id). */
  readonly name: string;
  readonly namespace: string;
  /** The service account with the Pod Identity association that may read the input and write the output. */
  readonly serviceAccountName: string;
  /** The vLLM image (the one the model's Deployment runs). */
  readonly vllmImage: string;
  /** An image with the AWS CLI. */
  readonly awsCliImage: string;
  /** What vLLM loads (`--model`). */
  readonly model: string;
  /** The name the lines' `model` field carries (`--served-model-name`). */
  readonly servedModelName: string;
  /** Further engine arguments (the model Deployment's own, e.g. `--max-model-len 8192`). */
  readonly engineArgs?: readonly string[];
  /**
   * How the pod gets the weights (the model Deployment's weights fragments): init containers run
   * after `fetch` and before `run`, their volumes, and the `run` container's mounts and environment.
   * @default - vLLM downloads `model` itself
   */
  readonly weights?: SelfHostedBatchWeights;
  readonly inputS3Uri: string;
  readonly outputS3Uri: string;
  /** GPUs for the run (`nvidia.com/gpu`). */
  readonly gpus: number;
  /** The GPU pool's node selector. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** The GPU pool's tolerations. */
  readonly tolerations: readonly JobToleration[];
  /** The low priority class for batch work. */
  readonly priorityClassName: string;
  /** Seconds the Job may run: what is left of the completion window. */
  readonly deadlineSeconds: number;
  /** Retries of a failed pod (a spot interruption included). @default 3 */
  readonly backoffLimit?: number;
  /** Labels for the Job and its pod (tenant, batch, job). */
  readonly labels?: Readonly<Record<string, string>>;
}

/** The label Karpenter puts on a node with its capacity type. */
export const CAPACITY_TYPE_LABEL = 'karpenter.sh/capacity-type';
const WORK = '/work';
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const RESTRICTED = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };

/**
 * The Job object (`batch/v1`).
 *
 * @example
 * runBatchJob({ name: 'gw-batch-1', namespace: 'models', serviceAccountName: 'gateway-batch', ... })
 */
export function runBatchJob(spec: RunBatchJobSpec): Record<string, unknown> {
  if (!NAME.test(spec.name)) throw new Error(`Job name ${JSON.stringify(spec.name)} is not a DNS label (lower-case letters, digits, '-', at most 63).`);
  if (!Number.isInteger(spec.gpus) || spec.gpus < 1) throw new Error(`gpus must be a positive integer, received ${spec.gpus}.`);
  if (!Number.isInteger(spec.deadlineSeconds) || spec.deadlineSeconds < 1) throw new Error(`deadlineSeconds must be a positive integer, received ${spec.deadlineSeconds}.`);
  const labels = { 'app.kubernetes.io/name': 'vllm-run-batch', 'app.kubernetes.io/managed-by': 'cdk-ai-gateway', ...spec.labels };
  const volumeMounts = [{ name: 'work', mountPath: WORK }];
  const weights = spec.weights;
  const names = [...(weights?.volumes ?? []).map((v) => v.name), ...(weights?.initContainers ?? []).map((c) => c.name)];
  const clash = names.find((n) => n === 'work' || n === 'fetch' || n === 'run' || n === 'store');
  if (clash !== undefined) throw new Error(`weights must not name a volume or container ${JSON.stringify(clash)} (the Job's own: work, fetch, run, store).`);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: spec.name, namespace: spec.namespace, labels },
    spec: {
      backoffLimit: spec.backoffLimit ?? 3,
      activeDeadlineSeconds: spec.deadlineSeconds,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: spec.serviceAccountName,
          priorityClassName: spec.priorityClassName,
          nodeSelector: { ...spec.nodeSelector },
          tolerations: spec.tolerations.map((t) => ({ ...t })),
          affinity: {
            nodeAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [{
                weight: 100,
                preference: { matchExpressions: [{ key: CAPACITY_TYPE_LABEL, operator: 'In', values: ['spot'] }] },
              }],
            },
          },
          volumes: [{ name: 'work', emptyDir: {} }, ...(weights?.volumes ?? []).map((v) => ({ ...v }))],
          initContainers: [
            { name: 'fetch', image: spec.awsCliImage, args: ['s3', 'cp', '--only-show-errors', spec.inputS3Uri, `${WORK}/input.jsonl`], volumeMounts, securityContext: RESTRICTED },
            ...(weights?.initContainers ?? []).map((c) => ({ ...c })),
            {
              name: 'run',
              image: spec.vllmImage,
              command: ['vllm'],
              args: ['run-batch', '-i', `${WORK}/input.jsonl`, '-o', `${WORK}/output.jsonl`, '--model', spec.model, '--served-model-name', spec.servedModelName, ...(spec.engineArgs ?? [])],
              resources: { limits: { 'nvidia.com/gpu': String(spec.gpus) }, requests: { 'nvidia.com/gpu': String(spec.gpus) } },
              ...(weights && weights.env.length > 0 ? { env: weights.env.map((e) => ({ ...e })) } : {}),
              volumeMounts: [...volumeMounts, ...(weights?.volumeMounts ?? []).map((m) => ({ ...m }))],
              securityContext: RESTRICTED,
            },
          ],
          containers: [
            { name: 'store', image: spec.awsCliImage, args: ['s3', 'cp', '--only-show-errors', `${WORK}/output.jsonl`, spec.outputS3Uri], volumeMounts, securityContext: RESTRICTED },
          ],
        },
      },
    },
  };
}

/**
 * When to start a self-hosted batch: now inside the idle hours (UTC, `[startHour, endHour)`,
 * wrapping midnight when `startHour > endHour`), else at the next idle start if the run still fits
 * before the deadline, else now.
 *
 * @example startTime(Date.UTC(2026, 0, 1, 12), { startHour: 22, endHour: 6 }, deadline, 2 * 3600_000) // 22:00 that day
 */
export function startTime(now: number, idle: { readonly startHour: number; readonly endHour: number } | undefined, deadline: number, runMs: number): number {
  if (idle === undefined) return now;
  const hour = new Date(now).getUTCHours();
  const inside = idle.startHour <= idle.endHour ? hour >= idle.startHour && hour < idle.endHour : hour >= idle.startHour || hour < idle.endHour;
  if (inside) return now;
  const start = new Date(now);
  start.setUTCHours(idle.startHour, 0, 0, 0);
  if (start.getTime() <= now) start.setUTCDate(start.getUTCDate() + 1);
  return start.getTime() + runMs <= deadline ? start.getTime() : now;
}

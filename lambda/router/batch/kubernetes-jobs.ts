/**
 * The Kubernetes API calls the self-hosted batch launcher makes, over HTTPS to the cluster's API
 * server with a bearer token (`eks-token.ts`): create a Job, read its status, delete it with its
 * pods (`propagationPolicy: Background`). No kubectl, no client library: three REST calls of
 * `batch/v1`. The worker's access entry maps its role to a group bound to a Role in the batch
 * namespace only (`lib/batch/self-hosted-batch.ts`).
 */
import * as http from 'node:http';
import * as https from 'node:https';

/** Where a Job is, read from its `status`. */
export interface JobState {
  /** `running`: not ended yet (waiting for a node, loading, running); `succeeded`: condition `Complete`; `failed`: condition `Failed`. */
  readonly phase: 'running' | 'succeeded' | 'failed';
  /** The reason of a failure (`DeadlineExceeded`, `BackoffLimitExceeded`, …). */
  readonly reason?: string;
  /** `status.startTime` (epoch ms). */
  readonly startedAt?: number;
  /** When it ended (epoch ms): `completionTime`, or the `Failed` condition's transition time. */
  readonly endedAt?: number;
}

export interface KubernetesJobsApi {
  /** Creates the Job; `exists` when a Job of that name is there already (a replayed create). */
  create(job: Readonly<Record<string, unknown>>): Promise<'created' | 'exists'>;
  /** The Job's state, or `undefined` when there is no such Job. */
  get(namespace: string, name: string): Promise<JobState | undefined>;
  /** Deletes the Job and, in the background, its pods; a Job already gone is fine. */
  remove(namespace: string, name: string): Promise<void>;
}

/** A call the API server refused. */
export class KubernetesApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'KubernetesApiError';
  }
}

export interface HttpKubernetesJobsOptions {
  /** The API server, e.g. `https://ABC.gr7.us-east-1.eks.amazonaws.com`. */
  readonly endpoint: string;
  /** The cluster's CA (PEM). @default the system's trust store */
  readonly ca?: string;
  /** A fresh bearer token. */
  readonly token: () => Promise<string>;
  /** @default 10_000 */
  readonly timeoutMs?: number;
}

/** The Kubernetes `Status` message of an error body, when there is one. */
function statusMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}

/** Reads a Job object's status. */
export function jobState(job: unknown): JobState {
  const status = (job as { status?: { startTime?: unknown; completionTime?: unknown; conditions?: unknown } } | null)?.status ?? {};
  const time = (v: unknown): number | undefined => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? Date.parse(v) : undefined);
  const conditions = Array.isArray(status.conditions) ? status.conditions as { type?: unknown; status?: unknown; reason?: unknown; lastTransitionTime?: unknown }[] : [];
  const holds = (type: string) => conditions.find((c) => c.type === type && c.status === 'True');
  const startedAt = time(status.startTime);
  const started = startedAt !== undefined ? { startedAt } : {};
  const complete = holds('Complete');
  if (complete) {
    const endedAt = time(status.completionTime) ?? time(complete.lastTransitionTime);
    return { phase: 'succeeded', ...started, ...(endedAt !== undefined ? { endedAt } : {}) };
  }
  const failed = holds('Failed');
  if (failed) {
    const endedAt = time(failed.lastTransitionTime);
    return { phase: 'failed', ...started, ...(typeof failed.reason === 'string' ? { reason: failed.reason } : {}), ...(endedAt !== undefined ? { endedAt } : {}) };
  }
  return { phase: 'running', ...started };
}

/**
 * The Jobs API of one cluster.
 *
 * @example
 * const api = httpKubernetesJobs({ endpoint, ca, token: () => eksBearerToken({ clusterName, region, credentials }) });
 * await api.create(runBatchJob(spec));
 */
export function httpKubernetesJobs(options: HttpKubernetesJobsOptions): KubernetesJobsApi {
  const base = new URL(options.endpoint);
  const client = base.protocol === 'http:' ? http : https;
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> => {
    const token = await options.token();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = client.request({
        method, hostname: base.hostname, port: base.port || undefined, path,
        ...(options.ca !== undefined && client === https ? { ca: options.ca } : {}),
        headers: {
          authorization: `Bearer ${token}`, accept: 'application/json',
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
        timeout: options.timeoutMs ?? 10_000,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`The Kubernetes API did not answer ${method} ${path} in time.`)));
      req.on('error', reject);
      req.end(payload);
    });
  };
  const jobs = (namespace: string) => `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs`;
  const fail = (what: string, res: { status: number; body: string }): never => {
    throw new KubernetesApiError(res.status, `${what}: the Kubernetes API answered ${res.status} ${statusMessage(res.body)}`);
  };
  return {
    async create(job) {
      const metadata = (job.metadata ?? {}) as { namespace?: string; name?: string };
      const res = await call('POST', jobs(metadata.namespace ?? 'default'), job);
      if (res.status === 201 || res.status === 200) return 'created';
      if (res.status === 409) return 'exists';
      return fail(`Creating Job ${metadata.namespace}/${metadata.name}`, res);
    },
    async get(namespace, name) {
      const res = await call('GET', `${jobs(namespace)}/${encodeURIComponent(name)}`);
      if (res.status === 404) return undefined;
      if (res.status !== 200) return fail(`Reading Job ${namespace}/${name}`, res);
      return jobState(JSON.parse(res.body));
    },
    async remove(namespace, name) {
      const res = await call('DELETE', `${jobs(namespace)}/${encodeURIComponent(name)}`, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' });
      if (res.status === 200 || res.status === 202 || res.status === 404) return;
      fail(`Deleting Job ${namespace}/${name}`, res);
    },
  };
}

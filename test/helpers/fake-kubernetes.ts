/**
 * A fake Kubernetes API server on loopback (plain HTTP) for the self-hosted batch launcher: the
 * `batch/v1` Jobs of one namespace. It admits only requests whose bearer token is an EKS token
 * (`k8s-aws-v1.` + the unpadded base64url of a presigned STS GetCallerIdentity URL valid for 60
 * seconds that signs `x-k8s-aws-id`), records every call and every Job created, and lets a test
 * end a Job (`complete`, `fail`) as the Job controller would.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KubeCall {
  readonly method: string;
  readonly path: string;
  readonly body?: Record<string, unknown>;
}

export interface FakeKubernetes {
  readonly url: string;
  readonly calls: readonly KubeCall[];
  /** Jobs by name, as created (with the status a test set). */
  readonly jobs: ReadonlyMap<string, Record<string, unknown>>;
  /** Why each refused request was refused. */
  readonly refusals: readonly string[];
  /** Sets `Complete` with `startTime` and `completionTime`. */
  complete(name: string, startedAt: number, endedAt: number): void;
  /** Sets `Failed` with `reason`. */
  fail(name: string, reason: string, startedAt: number, endedAt: number): void;
  /** Sets only `startTime` (running). */
  start(name: string, startedAt: number): void;
  close(): Promise<void>;
}

/** Why a token is not an EKS token for `clusterName`, or `undefined` when it is one. */
export function eksTokenProblem(header: string | undefined, clusterName: string): string | undefined {
  const match = /^Bearer k8s-aws-v1\.([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!match) return `not a k8s-aws-v1 bearer token: ${String(header).slice(0, 40)}`;
  let url: URL;
  try {
    url = new URL(Buffer.from(match[1], 'base64url').toString('utf8'));
  } catch {
    return 'the token is not a base64url URL';
  }
  const q = url.searchParams;
  if (!/^sts\.[a-z0-9-]+\.amazonaws\.com$/.test(url.hostname) || url.protocol !== 'https:' || url.pathname !== '/') return `not an STS URL: ${url.origin}${url.pathname}`;
  if (q.get('Action') !== 'GetCallerIdentity' || q.get('Version') !== '2011-06-15') return 'not GetCallerIdentity 2011-06-15';
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || !q.get('X-Amz-Signature') || !q.get('X-Amz-Credential')?.includes('/sts/aws4_request')) return 'not SigV4-presigned for sts';
  if (q.get('X-Amz-Expires') !== '60') return `X-Amz-Expires ${q.get('X-Amz-Expires')}, not 60`;
  if (!(q.get('X-Amz-SignedHeaders') ?? '').split(';').includes('x-k8s-aws-id')) return 'x-k8s-aws-id is not signed';
  void clusterName; // The cluster name is inside the signature only: the server cannot read it from the URL.
  return undefined;
}

export async function fakeKubernetes(options: { clusterName: string; namespace: string }): Promise<FakeKubernetes> {
  const calls: KubeCall[] = [];
  const jobs = new Map<string, Record<string, unknown>>();
  const refusals: string[] = [];
  const base = `/apis/batch/v1/namespaces/${options.namespace}/jobs`;
  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? JSON.parse(text) as Record<string, unknown> : undefined;
      calls.push({ method: req.method!, path: req.url!, ...(body ? { body } : {}) });
      const problem = eksTokenProblem(req.headers.authorization, options.clusterName);
      if (problem) {
        refusals.push(problem);
        return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
      }
      const name = req.url!.startsWith(`${base}/`) ? decodeURIComponent(req.url!.slice(base.length + 1)) : undefined;
      if (req.method === 'POST' && req.url === base) {
        const jobName = (body?.metadata as { name?: string } | undefined)?.name ?? '';
        if (jobs.has(jobName)) return send(res, 409, status(409, 'AlreadyExists', `jobs.batch "${jobName}" already exists`));
        jobs.set(jobName, { ...body, status: {} });
        return send(res, 201, jobs.get(jobName));
      }
      if (name !== undefined && req.method === 'GET') {
        const job = jobs.get(name);
        return job ? send(res, 200, job) : send(res, 404, status(404, 'NotFound', `jobs.batch "${name}" not found`));
      }
      if (name !== undefined && req.method === 'DELETE') {
        const job = jobs.get(name);
        if (!job) return send(res, 404, status(404, 'NotFound', `jobs.batch "${name}" not found`));
        jobs.delete(name);
        return send(res, 200, job);
      }
      return send(res, 404, status(404, 'NotFound', `no route ${req.method} ${req.url}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const iso = (ms: number) => new Date(ms).toISOString();
  const setStatus = (name: string, value: Record<string, unknown>): void => {
    const job = jobs.get(name);
    if (!job) throw new Error(`fake-kubernetes: no Job ${name}`);
    jobs.set(name, { ...job, status: value });
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls, jobs, refusals,
    complete: (name, startedAt, endedAt) => setStatus(name, {
      startTime: iso(startedAt), completionTime: iso(endedAt), succeeded: 1,
      conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True', lastTransitionTime: iso(endedAt) }],
    }),
    fail: (name, reason, startedAt, endedAt) => setStatus(name, {
      startTime: iso(startedAt), failed: 1,
      conditions: [{ type: 'FailureTarget', status: 'True', reason }, { type: 'Failed', status: 'True', reason, lastTransitionTime: iso(endedAt) }],
    }),
    start: (name, startedAt) => setStatus(name, { startTime: iso(startedAt), active: 1 }),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * The API server's endpoint and certificate authority of an EKS cluster, read once per execution
 * environment with EKS `DescribeCluster` (`GET /clusters/<name>`, SigV4 for `eks`): the worker's
 * environment then carries the cluster's name only — its CA (about 1.5 KB) would take a third of
 * Lambda's 4 KB of environment variables. Signed with `@smithy/signature-v4` over node:https: no
 * EKS client in the bundle.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsCredentials, NodeSha256 } from '../tracing/sigv4';

/** What the launcher needs to call the cluster's API server. */
export interface ClusterAccess {
  /** `https://…` */
  readonly endpoint: string;
  /** The CA's PEM. */
  readonly ca: string;
}

export interface DescribeClusterOptions {
  readonly clusterName: string;
  readonly region: string;
  readonly credentials: AwsCredentials | (() => Promise<AwsCredentials>);
  /** @default `https://eks.<region>.amazonaws.com` */
  readonly endpoint?: string;
  /** @default 10_000 */
  readonly timeoutMs?: number;
}

/**
 * The cluster's endpoint and CA, from `DescribeCluster`.
 *
 * @example const { endpoint, ca } = await describeCluster({ clusterName: 'models', region: 'us-east-1', credentials });
 */
export async function describeCluster(options: DescribeClusterOptions): Promise<ClusterAccess> {
  const base = new URL(options.endpoint ?? `https://eks.${options.region}.amazonaws.com`);
  const path = `/clusters/${encodeURIComponent(options.clusterName)}`;
  const signer = new SignatureV4({ service: 'eks', region: options.region, credentials: options.credentials, sha256: NodeSha256, applyChecksum: true });
  const signed = await signer.sign({
    method: 'GET', protocol: base.protocol, hostname: base.hostname, ...(base.port ? { port: Number(base.port) } : {}), path,
    headers: { host: base.host, accept: 'application/json' },
  });
  const client = base.protocol === 'http:' ? http : https;
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = client.request({ method: 'GET', hostname: base.hostname, port: base.port || undefined, path, headers: signed.headers, timeout: options.timeoutMs ?? 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`EKS DescribeCluster ${options.clusterName} did not answer in time.`)));
    req.on('error', reject);
    req.end();
  });
  if (status !== 200) throw new Error(`EKS DescribeCluster ${options.clusterName} answered ${status}: ${body.slice(0, 200)}`);
  const cluster = (JSON.parse(body) as { cluster?: { endpoint?: unknown; certificateAuthority?: { data?: unknown } } }).cluster;
  const endpoint = cluster?.endpoint;
  const data = cluster?.certificateAuthority?.data;
  if (typeof endpoint !== 'string' || typeof data !== 'string') throw new Error(`EKS DescribeCluster ${options.clusterName} answered no endpoint or certificate authority.`);
  return { endpoint, ca: Buffer.from(data, 'base64').toString('utf8') };
}

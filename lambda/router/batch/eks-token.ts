/**
 * The bearer token the EKS API server accepts from an IAM principal (what `aws eks get-token`
 * prints): `k8s-aws-v1.` + the unpadded base64url of a presigned STS `GetCallerIdentity` URL whose
 * signature covers the header `x-k8s-aws-id: <cluster name>`. EKS authenticates the caller by
 * sending that request to STS, and maps the principal to Kubernetes users and groups by its access
 * entries. The URL is valid for 60 seconds (`X-Amz-Expires=60`, the CLI's value); the token for
 * 15 minutes at most on the server's side, so the launcher makes one per worker invocation.
 *
 * Signed with `@smithy/signature-v4` and node:crypto (already in the router bundle): no kubectl,
 * no extra dependency.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsCredentials, NodeSha256 } from '../tracing/sigv4';

/** The token's prefix (version 1 of the aws-iam-authenticator token format). */
export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** The header that names the cluster inside the signature. */
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** Seconds the presigned URL is valid (what `aws eks get-token` uses). */
export const EKS_TOKEN_URL_SECONDS = 60;

export interface EksTokenOptions {
  readonly clusterName: string;
  /** The Region of the cluster: the token is signed for its regional STS endpoint. */
  readonly region: string;
  readonly credentials: AwsCredentials | (() => Promise<AwsCredentials>);
  /** @default Date.now */
  readonly now?: () => number;
  /** The STS host. @default `sts.<region>.amazonaws.com` */
  readonly stsHost?: string;
}

/**
 * A bearer token for the cluster's API server, signed with `credentials`.
 *
 * @example
 * const token = await eksBearerToken({ clusterName: 'models', region: 'us-east-1', credentials });
 * // Authorization: Bearer k8s-aws-v1.aHR0cHM6Ly9zdHMu…
 */
export async function eksBearerToken(options: EksTokenOptions): Promise<string> {
  const host = options.stsHost ?? `sts.${options.region}.amazonaws.com`;
  const signer = new SignatureV4({ service: 'sts', region: options.region, credentials: options.credentials, sha256: NodeSha256 });
  const signed = await signer.presign({
    method: 'GET', protocol: 'https:', hostname: host, path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host, [CLUSTER_ID_HEADER]: options.clusterName },
  }, { expiresIn: EKS_TOKEN_URL_SECONDS, ...(options.now ? { signingDate: new Date(options.now()) } : {}) });
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  const url = `https://${host}/?${query}`;
  return EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
}

/** The presigned URL inside a token, or `undefined` when `token` is not a `k8s-aws-v1.` token (tests, fakes). */
export function presignedUrlOf(token: string): URL | undefined {
  if (!token.startsWith(EKS_TOKEN_PREFIX)) return undefined;
  try {
    return new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * SigV4 signing of OTLP export requests for the X-Ray endpoint (service `xray`), with
 * `@smithy/signature-v4` (already in the router bundle through the AWS SDK) and node:crypto's
 * SHA-256: no OpenTelemetry SDK, no extra dependency.
 */
import { createHash, createHmac, Hash, Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { RequestSigner } from './exporter';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** The SHA-256 / HMAC-SHA-256 checksum `SignatureV4` asks for, on node:crypto. */
export class NodeSha256 {
  private readonly hash: Hash | Hmac;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256')
      : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(ArrayBuffer.isView(secret) ? secret.buffer.slice(secret.byteOffset, secret.byteOffset + secret.byteLength) : secret));
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data)));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

/** The Lambda execution role's credentials, from the environment the runtime sets. */
export function credentialsFromEnv(env: Readonly<Record<string, string | undefined>>): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new Error('no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)');
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

/**
 * A signer for OTLP requests to X-Ray's OTLP endpoint.
 *
 * @example
 * const sign = sigV4Signer('us-east-1', async () => credentialsFromEnv(process.env));
 */
export function sigV4Signer(region: string, credentials: () => Promise<AwsCredentials>, service = 'xray'): RequestSigner {
  const signer = new SignatureV4({ service, region, credentials, sha256: NodeSha256, applyChecksum: true });
  return async (url, body, headers) => {
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...headers, host: url.host },
      body,
    });
    return signed.headers as Record<string, string>;
  };
}

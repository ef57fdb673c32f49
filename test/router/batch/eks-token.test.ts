/**
 * The EKS bearer token (a presigned STS GetCallerIdentity URL that signs the cluster name), the
 * Job status the launcher reads, the cluster's endpoint and CA (DescribeCluster), GPU-hour pricing,
 * and the worker's self-hosted batch configuration.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { describeCluster } from '../../../lambda/router/batch/eks-cluster';
import { EKS_TOKEN_PREFIX, eksBearerToken, presignedUrlOf } from '../../../lambda/router/batch/eks-token';
import { gpuHourLinePrice, jobCostUsd } from '../../../lambda/router/batch/gpu-hours';
import { jobState } from '../../../lambda/router/batch/kubernetes-jobs';
import { selfHostedBatchFromEnv } from '../../../lambda/router/batch/from-env';
import { NodeSha256 } from '../../../lambda/router/tracing/sigv4';
import { eksTokenProblem } from '../../helpers/fake-kubernetes';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: 'session' };
const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);

describe('eksBearerToken', () => {
  test('is k8s-aws-v1. and the unpadded base64url of a 60-second presigned GetCallerIdentity URL on the regional STS endpoint', async () => {
    // Act
    const token = await eksBearerToken({ clusterName: 'models', region: 'eu-west-1', credentials: CREDENTIALS, now: () => NOW });
    // Assess
    const url = presignedUrlOf(token)!;
    const q = url.searchParams;
    expect({
      prefix: token.startsWith(EKS_TOKEN_PREFIX), padded: token.includes('='), host: url.host,
      action: q.get('Action'), version: q.get('Version'), expires: q.get('X-Amz-Expires'), signed: q.get('X-Amz-SignedHeaders'),
      credential: q.get('X-Amz-Credential'), date: q.get('X-Amz-Date'), session: q.get('X-Amz-Security-Token'),
      fake: eksTokenProblem(`Bearer ${token}`, 'models'),
    }).toEqual({
      prefix: true, padded: false, host: 'sts.eu-west-1.amazonaws.com', action: 'GetCallerIdentity', version: '2011-06-15', expires: '60',
      signed: 'host;x-k8s-aws-id', credential: 'AKIDEXAMPLE/20261207/eu-west-1/sts/aws4_request', date: '20261207T120000Z', session: 'session',
      fake: undefined,
    });
  });

  test('the signature covers the cluster name: another cluster gives another signature', async () => {
    // Act
    const sign = async (clusterName: string) => presignedUrlOf(await eksBearerToken({ clusterName, region: 'us-east-1', credentials: CREDENTIALS, now: () => NOW }))!;
    const [a, b] = [await sign('models'), await sign('other')];
    // Assess: STS recomputes it from the URL and the x-k8s-aws-id header EKS sends; the signer agrees with itself for `models`.
    const again = await new SignatureV4({ service: 'sts', region: 'us-east-1', credentials: CREDENTIALS, sha256: NodeSha256 }).presign({
      method: 'GET', protocol: 'https:', hostname: a.host, path: '/', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: a.host, 'x-k8s-aws-id': 'models' },
    }, { expiresIn: 60, signingDate: new Date(NOW) });
    expect([a.searchParams.get('X-Amz-Signature') === b.searchParams.get('X-Amz-Signature'), again.query?.['X-Amz-Signature']])
      .toEqual([false, a.searchParams.get('X-Amz-Signature')]);
  });

  test.each([
    ['no token', undefined],
    ['a service account token', 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig'],
    ['a padded token', `Bearer k8s-aws-v1.${Buffer.from('https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity').toString('base64')}=`],
  ])('the fake API server refuses %s', (_name, header) => {
    expect(eksTokenProblem(header, 'models')).toBeDefined();
  });
});

describe('jobState', () => {
  test.each([
    ['no status yet', {}, { phase: 'running' }],
    ['running', { status: { startTime: '2026-12-07T12:00:00Z', active: 1 } }, { phase: 'running', startedAt: NOW }],
    ['complete', {
      status: { startTime: '2026-12-07T12:00:00Z', completionTime: '2026-12-07T12:30:00Z', conditions: [{ type: 'Complete', status: 'True' }] },
    }, { phase: 'succeeded', startedAt: NOW, endedAt: NOW + 1_800_000 }],
    ['failed past its deadline', {
      status: { startTime: '2026-12-07T12:00:00Z', conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', lastTransitionTime: '2026-12-07T13:00:00Z' }] },
    }, { phase: 'failed', reason: 'DeadlineExceeded', startedAt: NOW, endedAt: NOW + 3_600_000 }],
    ['a condition that does not hold', { status: { conditions: [{ type: 'Failed', status: 'False' }] } }, { phase: 'running' }],
  ])('%s', (_name, job, state) => {
    expect(jobState(job)).toEqual(state);
  });
});

describe('GPU-hour pricing', () => {
  test('run time × GPUs × the GPU hour, shared by tokens', () => {
    // 90 minutes of 4 A10G GPUs (g5.12xlarge at $5.672 an hour: $1.418 per GPU hour) = $8.508, over 1,000,000 tokens.
    const cost = jobCostUsd(0, 5_400_000, 4, 1.418);
    expect([cost, gpuHourLinePrice(cost, 1_000_000).outputUsdPer1K, gpuHourLinePrice(cost, 0).inputUsdPer1K])
      .toEqual([expect.closeTo(8.508, 9), expect.closeTo(0.008508, 12), 0]);
  });
});

describe('selfHostedBatchFromEnv', () => {
  test('names every problem of the configuration', () => {
    const bad = JSON.stringify({
      clusterName: 'models', endpoint: 'ftp://x', region: 'us-east-1', namespace: 'Batch_NS', serviceAccountName: 'sa', priorityClassName: 'low',
      awsCliImage: 'aws-cli', idleHours: { startHour: 22, endHour: 22 }, targets: { vllm: { image: 'vllm', model: 'm', servedModelName: 's', gpus: 0, gpuHourUsd: -1, nodeSelector: {}, tolerations: [] } },
    });
    expect(() => selfHostedBatchFromEnv(bad)).toThrow(/endpoint must be the API server URL.*namespace must be a DNS label.*idleHours must be.*gpus must be a whole number from 1 to 8.*gpuHourUsd must be a positive price/);
  });

  test('names weights whose pod fragments are not lists', () => {
    const target = { image: 'vllm', model: '/cache/weights', servedModelName: 's', gpus: 1, gpuHourUsd: 1, nodeSelector: {}, tolerations: [] };
    const config = (weights: unknown) => JSON.stringify({
      clusterName: 'models', region: 'us-east-1', namespace: 'ns', serviceAccountName: 'sa', priorityClassName: 'low', awsCliImage: 'aws-cli', targets: { vllm: { ...target, weights } },
    });
    expect(() => selfHostedBatchFromEnv(config({ initContainers: {}, volumes: [], volumeMounts: [] }))).toThrow(/targets\['vllm'\]\.weights\.initContainers must be a list\..*weights\.env must be a list\./);
    expect(selfHostedBatchFromEnv(config({ initContainers: [], volumes: [], volumeMounts: [], env: [] })).targets.vllm.weights).toEqual({ initContainers: [], volumes: [], volumeMounts: [], env: [] });
  });
});

describe('describeCluster', () => {
  test('reads the endpoint and the CA with a SigV4 GET of /clusters/<name> for eks', async () => {
    // Prepare: a loopback EKS control plane.
    const seen: { path?: string; authorization?: string } = {};
    const server = http.createServer((req, res) => {
      seen.path = req.url;
      seen.authorization = req.headers.authorization;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        cluster: { name: 'models', endpoint: 'https://ABC.gr7.us-east-1.eks.amazonaws.com', certificateAuthority: { data: Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64') } },
      }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      // Act
      const access = await describeCluster({
        clusterName: 'models', region: 'us-east-1', credentials: CREDENTIALS, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      });
      // Assess
      expect([access, seen.path, seen.authorization]).toEqual([
        { endpoint: 'https://ABC.gr7.us-east-1.eks.amazonaws.com', ca: '-----BEGIN CERTIFICATE-----\n' },
        '/clusters/models',
        expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/eks\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/),
      ]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

/**
 * A loopback CloudWatch that answers GetMetricData as @aws-sdk/client-cloudwatch 3.1164 calls it:
 * the AWS JSON 1.0 protocol (`POST /`, `X-Amz-Target: GraniteServiceVersion20100801.GetMetricData`,
 * `Content-Type: application/x-amz-json-1.0`, timestamps as epoch seconds), not the older query
 * protocol. It serves the hourly series it was given per `PodName` dimension, `pageSize` data
 * points per page with an opaque `NextToken`, and records every request body.
 *
 * @example
 * const cw = await startFakeCloudWatch({ series: { 'llama-8b': [[Date.parse('2026-11-01T00:00:00Z'), 42]] } });
 * const client = new CloudWatchClient({ endpoint: cw.endpoint, region: 'us-east-1', credentials });
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/** A GetMetricData request as the fake received it (the parsed JSON body and the target header). */
export interface RecordedMetricDataRequest {
  readonly target: string | undefined;
  readonly contentType: string | undefined;
  readonly body: {
    readonly MetricDataQueries: readonly { Id: string; MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] }; Period: number; Stat: string } }[];
    readonly StartTime: number;
    readonly EndTime: number;
    readonly NextToken?: string;
    readonly ScanBy?: string;
  };
}

export interface FakeCloudWatch {
  readonly endpoint: string;
  readonly requests: RecordedMetricDataRequest[];
  close(): Promise<void>;
}

export interface FakeCloudWatchOptions {
  /** `[epoch ms, value]` points per `PodName`. */
  readonly series: Readonly<Record<string, readonly (readonly [number, number])[]>>;
  /** Data points per page (across the request's queries). @default 100_800 */
  readonly pageSize?: number;
  /** Answer every request with this HTTP status and a JSON 1.0 error instead. */
  readonly failWith?: { status: number; type: string; message: string };
}

export async function startFakeCloudWatch(options: FakeCloudWatchOptions): Promise<FakeCloudWatch> {
  const requests: RecordedMetricDataRequest[] = [];
  const pageSize = options.pageSize ?? 100_800;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const target = req.headers['x-amz-target'] as string | undefined;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedMetricDataRequest['body'];
      requests.push({ target, contentType: req.headers['content-type'], body });
      const reply = (status: number, payload: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(payload));
      };
      if (options.failWith) {
        reply(options.failWith.status, { __type: options.failWith.type, message: options.failWith.message });
        return;
      }
      if (target !== 'GraniteServiceVersion20100801.GetMetricData') {
        reply(400, { __type: 'UnknownOperationException', message: `fake-cloudwatch: unexpected target ${target}` });
        return;
      }
      // Every (query, point) in order; a page is the next `pageSize` of them.
      const all = body.MetricDataQueries.flatMap((q) => {
        const pod = q.MetricStat.Metric.Dimensions.find((d) => d.Name === 'PodName')?.Value ?? '';
        return (options.series[pod] ?? [])
          .filter(([at]) => at >= body.StartTime * 1000 && at < body.EndTime * 1000)
          .map(([at, value]) => ({ id: q.Id, at, value }));
      });
      const offset = body.NextToken !== undefined ? Number(body.NextToken.replace('page-', '')) : 0;
      const page = all.slice(offset, offset + pageSize);
      const results = body.MetricDataQueries.map((q) => {
        const points = page.filter((p) => p.id === q.Id);
        return { Id: q.Id, Label: q.Id, StatusCode: 'Complete', Timestamps: points.map((p) => p.at / 1000), Values: points.map((p) => p.value) };
      });
      const next = offset + pageSize < all.length ? `page-${offset + pageSize}` : undefined;
      reply(200, { MetricDataResults: results, Messages: [], ...(next !== undefined ? { NextToken: next } : {}) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

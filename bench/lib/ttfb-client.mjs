// A small HTTP client that timestamps the first byte of each response body (autocannon measures
// only whole responses): `connections` keep-alive connections, each sending the same request in a
// closed loop for `durationMs`. For a server-sent-events answer the first body byte is the first
// streamed byte the application would see.
import * as http from 'node:http';

/**
 * @returns {Promise<{ ttfbMs: number[], totalMs: number[], errors: number, statuses: Record<string, number>, elapsedMs: number }>}
 */
export async function measureTtfb({ url, headers, body, connections, durationMs }) {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  const payload = Buffer.from(body);
  const requestHeaders = { ...headers, 'content-length': String(payload.length) };
  const ttfbMs = [];
  const totalMs = [];
  const statuses = {};
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationMs;

  const once = () => new Promise((resolve) => {
    const t0 = performance.now();
    let first = -1;
    const req = http.request({
      host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: requestHeaders, agent,
    }, (res) => {
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      res.on('data', () => {
        if (first < 0) first = performance.now();
      });
      res.once('end', () => {
        if (res.statusCode === 200 && first >= 0) {
          ttfbMs.push(first - t0);
          totalMs.push(performance.now() - t0);
        } else errors += 1;
        resolve();
      });
      res.once('error', () => {
        errors += 1;
        resolve();
      });
    });
    req.once('error', () => {
      errors += 1;
      resolve();
    });
    req.end(payload);
  });

  const loop = async () => {
    while (performance.now() < deadline) await once();
  };
  await Promise.all(Array.from({ length: connections }, loop));
  agent.destroy();
  return { ttfbMs, totalMs, errors, statuses, elapsedMs: performance.now() - started };
}

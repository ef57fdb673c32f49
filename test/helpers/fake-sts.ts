/** A loopback STS for CLI tests: GetCallerIdentity answers `arn`. */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/** A loopback STS that answers GetCallerIdentity (AWS query protocol, XML). */
export async function startFakeSts(arn: string): Promise<{ endpoint: string; actions: string[]; close(): Promise<void> }> {
  const actions: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      actions.push(new URLSearchParams(body).get('Action') ?? '');
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
        + `<Arn>${arn}</Arn><UserId>AROAEXAMPLE:alice</UserId><Account>111122223333</Account>`
        + '</GetCallerIdentityResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    actions,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/** A loopback STS: its endpoint, the actions it was asked for, and how to stop it. */
export interface FakeSts {
  readonly endpoint: string;
  readonly actions: string[];
  close(): Promise<void>;
}

/** Starts a loopback STS that answers GetCallerIdentity (AWS query protocol, XML) with caller `arn`. */
export async function startFakeSts(arn: string, account = '111122223333'): Promise<FakeSts> {
  const actions: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      actions.push(new URLSearchParams(body).get('Action') ?? '');
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
        + `<Arn>${arn}</Arn><UserId>AROAEXAMPLE:caller</UserId><Account>${account}</Account>`
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


/**
 * A loopback HTTPS server that stands for an image host: a self-signed certificate for
 * `images.example.test` and `other.example.test` (test/helpers/fixtures), trusted by passing
 * `cert` as the fetcher's `ca`; `loopbackFetcher` resolves those names to 127.0.0.1 and allows
 * loopback, which the gateway's fetcher otherwise refuses.
 */
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ImageFetcher, isPublicAddress } from '../../lambda/router/images/fetch';

const FIXTURES = join(__dirname, 'fixtures');
export const IMAGE_HOST_CERT = readFileSync(join(FIXTURES, 'image-host.cert.pem'));
const KEY = readFileSync(join(FIXTURES, 'image-host.key.pem'));
export const IMAGE_HOST = 'images.example.test';
export const OTHER_IMAGE_HOST = 'other.example.test';

export interface ImageHost {
  readonly port: number;
  /** Request paths, in arrival order. */
  readonly hits: string[];
  close(): Promise<void>;
}

export async function startImageHost(handler: (path: string, res: import('node:http').ServerResponse, port: number) => void): Promise<ImageHost> {
  const hits: string[] = [];
  let port = 0;
  const server = https.createServer({ cert: IMAGE_HOST_CERT, key: KEY }, (req, res) => {
    hits.push(req.url ?? '');
    handler(new URL(req.url ?? '/', 'https://x').pathname, res, port);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return {
    port,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A fetcher that reaches the image host on loopback (and nothing else private). */
export function loopbackFetcher(port: number): ImageFetcher {
  return new ImageFetcher({
    resolve: async (host) => (host === IMAGE_HOST || host === OTHER_IMAGE_HOST ? [{ address: '127.0.0.1', family: 4 }] : []),
    addressAllowed: (address) => address === '127.0.0.1' || isPublicAddress(address),
    ports: [port],
    ca: IMAGE_HOST_CERT,
  });
}

/**
 * The image fetcher against a loopback HTTPS server (a self-signed certificate for
 * images.example.test and other.example.test, trusted through `ca`): the fetch is allowed to reach
 * loopback only through the injected resolver and address policy, so every SSRF rule is checked on
 * real connections.
 */
import { ImageFetcher, ImageFetchError, isPublicAddress } from '../../../lambda/router/images/fetch';
import { IMAGE_HOST as HOST, IMAGE_HOST_CERT as cert, ImageHost, loopbackFetcher as fetcherFor, OTHER_IMAGE_HOST as OTHER, startImageHost } from '../../helpers/image-host';
import { pngBytes } from '../../helpers/images';

const PNG = pngBytes(32, 16);
let host: ImageHost;
let port: number;
let hits: string[];

beforeAll(async () => {
  host = await startImageHost((path, res, p) => {
    if (path === '/cat.png') return void res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    if (path === '/same-host') return void res.writeHead(302, { location: '/cat.png' }).end();
    if (path === '/other-host') return void res.writeHead(302, { location: `https://${OTHER}:${p}/cat.png` }).end();
    if (path === '/to-metadata') return void res.writeHead(302, { location: 'https://169.254.169.254/latest/meta-data/' }).end();
    if (path === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
    if (path === '/big') return void res.writeHead(200).end(Buffer.alloc(5000));
    if (path === '/big-chunked') {
      res.writeHead(200);
      for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000));
      return void res.end();
    }
    if (path === '/hang') return; // never answers
    res.writeHead(404).end();
  });
  port = host.port;
  hits = host.hits;
});

afterAll(() => host.close());

beforeEach(() => { hits.length = 0; });

const loopbackFetcher = (): ImageFetcher => fetcherFor(port);

const policy = { allowedHosts: [HOST], maxBytes: 2000, timeoutMs: 2000 };

async function refusal(p: Promise<unknown>): Promise<ImageFetchError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ImageFetchError) return e;
    throw e;
  }
  throw new Error('expected an ImageFetchError');
}

test('fetches an image from an allowed host', async () => {
  const bytes = await loopbackFetcher().fetch(`https://${HOST}:${port}/cat.png`, policy);
  expect(Buffer.from(bytes).equals(PNG)).toBe(true);
});

test('follows a redirect on the same host', async () => {
  const bytes = await loopbackFetcher().fetch(`https://${HOST}:${port}/same-host`, policy);
  expect(Buffer.from(bytes).equals(PNG)).toBe(true);
  expect(hits).toEqual(['/same-host', '/cat.png']);
});

test.each([
  ['http (not https)', `http://${HOST}:PORT/cat.png`, 'only https image URLs are fetched'],
  ['credentials in the URL', `https://user:pw@${HOST}:PORT/cat.png`, 'image URLs with credentials are refused'],
  ['a host not on the list', `https://${OTHER}:PORT/cat.png`, `the host '${OTHER}' is not one this model fetches images from`],
  ['a suffix of an allowed host', `https://evil${HOST}:PORT/cat.png`, 'is not one this model fetches images from'],
  ['an IP literal', 'https://127.0.0.1:PORT/cat.png', "the host '127.0.0.1' is not one"],
  ['a port not allowed', `https://${HOST}:8443/cat.png`, 'image URLs on port 8443 are refused'],
])('refuses %s without connecting', async (_name, url, message) => {
  const error = await refusal(loopbackFetcher().fetch(url.replace('PORT', String(port)), policy));
  expect(error.message).toContain(message);
  expect(error.code).toBe('image_url_not_allowed');
  expect(hits).toEqual([]);
});

test('refuses a host that resolves to a private address, without connecting', async () => {
  const fetcher = new ImageFetcher({ resolve: async () => [{ address: '10.0.0.8', family: 4 }], ports: [port], ca: cert });
  const error = await refusal(fetcher.fetch(`https://${HOST}:${port}/cat.png`, policy));
  expect(error.message).toBe('the image host resolves to a private or reserved address');
  expect(hits).toEqual([]);
});

test('refuses a host with one private address among public ones', async () => {
  const fetcher = new ImageFetcher({
    resolve: async () => [{ address: '93.184.215.14', family: 4 }, { address: '::ffff:127.0.0.1', family: 6 }], ports: [port], ca: cert,
  });
  expect((await refusal(fetcher.fetch(`https://${HOST}:${port}/cat.png`, policy))).code).toBe('image_url_not_allowed');
});

test('by default, loopback is refused (the test server is unreachable without the injected policy)', async () => {
  const fetcher = new ImageFetcher({ resolve: async () => [{ address: '127.0.0.1', family: 4 }], ports: [port], ca: cert });
  expect((await refusal(fetcher.fetch(`https://${HOST}:${port}/cat.png`, policy))).message).toContain('private or reserved');
  expect(hits).toEqual([]);
});

test('refuses a redirect to another host, even an allowed one', async () => {
  const error = await refusal(loopbackFetcher().fetch(`https://${HOST}:${port}/other-host`, { ...policy, allowedHosts: [HOST, OTHER] }));
  expect(error.message).toContain('redirected to another host');
  expect(hits).toEqual(['/other-host']);
});

test('refuses a redirect to the instance metadata address', async () => {
  const error = await refusal(loopbackFetcher().fetch(`https://${HOST}:${port}/to-metadata`, policy));
  expect(error.code).toBe('image_url_not_allowed');
});

test('stops after 3 redirects', async () => {
  expect((await refusal(loopbackFetcher().fetch(`https://${HOST}:${port}/loop`, policy))).message).toContain('more than 3 times');
  expect(hits).toHaveLength(4);
});

test('refuses a body above the limit, by content-length or while reading', async () => {
  expect((await refusal(loopbackFetcher().fetch(`https://${HOST}:${port}/big`, policy))).code).toBe('image_too_large');
  expect((await refusal(loopbackFetcher().fetch(`https://${HOST}:${port}/big-chunked`, policy))).code).toBe('image_too_large');
});

test('gives up at the timeout', async () => {
  const error = await refusal(loopbackFetcher().fetch(`https://${HOST}:${port}/hang`, { ...policy, timeoutMs: 200 }));
  expect(error.message).toBe('the image was not fetched within 200 ms');
});

test('a status other than 200 is a failure', async () => {
  expect((await refusal(loopbackFetcher().fetch(`https://${HOST}:${port}/missing.png`, policy))).message).toBe('the image host answered HTTP 404');
});

test.each([
  ['127.0.0.1', false], ['10.1.2.3', false], ['172.16.0.1', false], ['192.168.1.1', false], ['169.254.169.254', false],
  ['100.64.0.1', false], ['0.0.0.0', false], ['224.0.0.1', false], ['::1', false], ['fd00::1', false], ['fe80::1', false],
  ['::ffff:10.0.0.1', false], ['::ffff:a00:1', false], ['64:ff9b::a9fe:a9fe', false], ['93.184.215.14', true], ['2606:4700::1111', true],
  ['not-an-ip', false],
])('isPublicAddress(%s) is %s', (address, expected) => {
  expect(isPublicAddress(address)).toBe(expected);
});

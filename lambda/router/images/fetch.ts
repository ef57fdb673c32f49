/**
 * Fetches an image a route allows (its `imageFetch`), and nothing else: the one place the gateway
 * makes a request to a URL a client chose, so every rule against server-side request forgery is
 * here.
 *
 * - `https:` only; no credentials in the URL (`user:pass@`); port 443 only.
 * - The host must be one of the route's `allowedHosts`, exactly (case-insensitive, no wildcards,
 *   no suffix matching).
 * - Every address the host resolves to must be public: loopback, private (RFC 1918, unique local),
 *   link-local (the instance metadata service 169.254.169.254 among them), carrier-grade NAT,
 *   multicast, reserved and documentation ranges are refused, IPv4-mapped and NAT64 IPv6 forms
 *   included. The connection goes to the address that was checked (the resolution is done once,
 *   in the socket's `lookup`), so a DNS answer cannot change between check and connect.
 * - Redirects are followed only to the same host (at most 3), each checked like the first URL.
 * - The body stops at `maxBytes` (a larger `content-length` is refused before reading) and the
 *   whole fetch, redirects included, at `timeoutMs`.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import * as https from 'node:https';
import { BlockList, isIP } from 'node:net';
import type { LookupFunction } from 'node:net';

/** Why an image could not be fetched; `message` is for the client (it names no address). */
export class ImageFetchError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'ImageFetchError';
  }
}

/** One address of a host name. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

export interface ImageFetcherOptions {
  /** Resolves a host name to its addresses. @default the system resolver (`dns.lookup`, all addresses) */
  readonly resolve?: (host: string) => Promise<readonly ResolvedAddress[]>;
  /**
   * Whether the fetch may connect to an address. Tests allow loopback with it; nothing else should.
   * @default isPublicAddress
   */
  readonly addressAllowed?: (address: string) => boolean;
  /** The ports URLs may name. @default [443] */
  readonly ports?: readonly number[];
  /** Extra trusted certificate authorities (a loopback test server). @default the system's */
  readonly ca?: string | Buffer;
}

/** What one fetch may do. */
export interface ImageFetchPolicy {
  readonly allowedHosts: readonly string[];
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

const MAX_REDIRECTS = 3;

/** Ranges never fetched from (IPv4 and IPv6), by IANA's special-purpose registries. */
const BLOCKED = ((): BlockList => {
  const list = new BlockList();
  const v4: [string, number][] = [
    ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
    ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
    ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
  ];
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  const v6: [string, number][] = [
    ['::', 128], ['::1', 128], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
  ];
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return list;
})();

/** The IPv4 address an IPv6 address embeds (`::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, `::a.b.c.d`), if any. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::|::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return undefined;
  const hi = parseInt(hex[1], 16);
  const lo = parseInt(hex[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/**
 * Whether `address` (an IP literal) is a public unicast address the gateway may fetch from.
 *
 * @example isPublicAddress('169.254.169.254') // false
 * @example isPublicAddress('::ffff:10.0.0.1') // false
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 4) return !BLOCKED.check(address, 'ipv4');
  const v4 = embeddedIpv4(address);
  if (v4 !== undefined) return isIP(v4) === 4 && !BLOCKED.check(v4, 'ipv4');
  return !BLOCKED.check(address, 'ipv6');
}

async function systemResolve(host: string): Promise<readonly ResolvedAddress[]> {
  return dnsLookup(host, { all: true, verbatim: true });
}

/** Fetches images under an `ImageFetchPolicy`; one instance per process. */
export class ImageFetcher {
  private readonly resolve: (host: string) => Promise<readonly ResolvedAddress[]>;
  private readonly addressAllowed: (address: string) => boolean;
  private readonly ports: readonly number[];
  private readonly ca?: string | Buffer;

  constructor(options: ImageFetcherOptions = {}) {
    this.resolve = options.resolve ?? systemResolve;
    this.addressAllowed = options.addressAllowed ?? isPublicAddress;
    this.ports = options.ports ?? [443];
    this.ca = options.ca;
  }

  /**
   * The body of `url`, or an `ImageFetchError` saying why not.
   *
   * @example const bytes = await fetcher.fetch('https://images.example.com/cat.png', policy, signal);
   */
  async fetch(url: string, policy: ImageFetchPolicy, signal?: AbortSignal): Promise<Uint8Array> {
    const first = this.check(url, policy);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(), policy.timeoutMs);
    try {
      let current = first;
      for (let redirects = 0; ; redirects++) {
        const answer = await this.get(current, policy, controller.signal);
        if (answer.kind === 'body') return answer.bytes;
        if (redirects >= MAX_REDIRECTS) throw new ImageFetchError(`the image URL redirected more than ${MAX_REDIRECTS} times`, 'image_fetch_failed');
        const next = this.check(new URL(answer.location, current).toString(), policy);
        if (next.hostname !== first.hostname) {
          throw new ImageFetchError('the image URL redirected to another host; only redirects on the same host are followed', 'image_url_not_allowed');
        }
        current = next;
      }
    } catch (error) {
      if (error instanceof ImageFetchError) throw error;
      if (controller.signal.aborted && !signal?.aborted) {
        throw new ImageFetchError(`the image was not fetched within ${policy.timeoutMs} ms`, 'image_fetch_timeout');
      }
      throw new ImageFetchError('the image could not be fetched', 'image_fetch_failed');
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The URL, parsed, if the policy allows it (scheme, credentials, port, host). */
  private check(raw: string, policy: ImageFetchPolicy): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ImageFetchError('the image URL is not a valid URL', 'invalid_image_url');
    }
    if (url.protocol !== 'https:') throw new ImageFetchError('only https image URLs are fetched', 'image_url_not_allowed');
    if (url.username !== '' || url.password !== '') throw new ImageFetchError('image URLs with credentials are refused', 'image_url_not_allowed');
    const port = url.port === '' ? 443 : Number(url.port);
    if (!this.ports.includes(port)) throw new ImageFetchError(`image URLs on port ${port} are refused`, 'image_url_not_allowed');
    const host = url.hostname.toLowerCase();
    if (!policy.allowedHosts.includes(host)) {
      throw new ImageFetchError(`the host '${host.slice(0, 100)}' is not one this model fetches images from`, 'image_url_not_allowed');
    }
    return url;
  }

  /** Where the socket connects: the host's first allowed address, after every address was checked. */
  private async addressOf(host: string): Promise<ResolvedAddress> {
    const literal = host.startsWith('[') ? host.slice(1, -1) : host;
    const addresses = isIP(literal) !== 0 ? [{ address: literal, family: isIP(literal) }] : await this.resolve(host);
    if (addresses.length === 0) throw new ImageFetchError('the image host does not resolve', 'image_fetch_failed');
    // One private address is enough to refuse: a host that resolves to both is not trusted.
    if (!addresses.every((a) => this.addressAllowed(a.address))) {
      throw new ImageFetchError('the image host resolves to a private or reserved address', 'image_url_not_allowed');
    }
    return addresses[0];
  }

  private async get(url: URL, policy: ImageFetchPolicy, signal: AbortSignal): Promise<{ kind: 'body'; bytes: Uint8Array } | { kind: 'redirect'; location: string }> {
    const resolved = await this.addressOf(url.hostname);
    const lookup: LookupFunction = (_host, options, callback) => {
      if (options.all) callback(null, [{ address: resolved.address, family: resolved.family }]);
      else callback(null, resolved.address, resolved.family);
    };
    return new Promise((resolve, reject) => {
      const req = https.get(url, { lookup, signal, ...(this.ca ? { ca: this.ca } : {}), headers: { accept: 'image/*' }, agent: false }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && typeof res.headers.location === 'string') {
          res.resume();
          resolve({ kind: 'redirect', location: res.headers.location });
          return;
        }
        if (status !== 200) {
          res.resume();
          reject(new ImageFetchError(`the image host answered HTTP ${status}`, 'image_fetch_failed'));
          return;
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > policy.maxBytes) {
          res.destroy();
          reject(new ImageFetchError(`the image is ${declared} bytes; the limit is ${policy.maxBytes} bytes`, 'image_too_large'));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > policy.maxBytes) {
            res.destroy();
            reject(new ImageFetchError(`the image is larger than the limit of ${policy.maxBytes} bytes`, 'image_too_large'));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ kind: 'body', bytes: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
  }
}

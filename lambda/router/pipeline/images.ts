/**
 * Stage: image URLs. A user message's `image_url` part may name an `https` URL instead of a data
 * URL; this stage fetches it (../images/fetch.ts) when the route of the request allows the host
 * (`RouteConfig.imageFetch`), checks the bytes like a data URL's (format by magic number, size,
 * per-request totals) and replaces the URL with the image, before routing and the budget
 * reservation count it. Without the route's permission, the request is refused with a 400 naming
 * the part: the gateway never fetches a URL nobody allowed.
 *
 * Requests for `auto` are refused when they hold image URLs: the route, and with it the allowed
 * hosts, is chosen after the images are counted.
 */
import { CONFIG_DEFAULTS, ResolvedGatewayConfig } from '../../shared/defaults';
import { AUTO_ALIAS } from '../../shared/schema';
import { InvalidRequestError } from '../errors';
import { checkImageBytes, ImageInputError } from '../images/data-url';
import { ImageFetcher, ImageFetchError } from '../images/fetch';
import { ChatTurn, ContentPart, RemoteImagePart } from '../providers/types';
import { ChatRequest } from './types';

export interface ImageStageInput {
  readonly chat: ChatRequest;
  readonly config: ResolvedGatewayConfig;
  /** @default none: every image URL is refused */
  readonly fetcher?: ImageFetcher;
  readonly signal?: AbortSignal;
}

function remoteParts(chat: ChatRequest): RemoteImagePart[] {
  return chat.messages.flatMap((m) => (m.parts ?? []).filter((p): p is RemoteImagePart => p.type === 'remote_image'));
}

/** Whether `chat` holds an image URL this stage must fetch or refuse (the gateway runs the stage, in its span, only then). */
export function hasRemoteImages(chat: ChatRequest): boolean {
  return chat.messages.some((m) => m.parts !== undefined && m.parts.some((p) => p.type === 'remote_image'));
}

/**
 * `chat` with every image URL replaced by the fetched image; `chat` itself when it has none.
 *
 * @example const chat = await resolveImageUrls({ chat: prompted, config, fetcher, signal });
 */
export async function resolveImageUrls(input: ImageStageInput): Promise<ChatRequest> {
  const { chat, config, fetcher } = input;
  const remote = remoteParts(chat);
  if (remote.length === 0) return chat;
  const first = remote[0];
  if (chat.model === AUTO_ALIAS) {
    throw new InvalidRequestError(`'${first.param}': image URLs are fetched only for a named model, not 'auto'; name the model or send a base64 data URL.`, 'image_url_not_allowed', first.param);
  }
  const route = config.routes.get(chat.model);
  const allowed = route?.imageFetch;
  if (!allowed || !fetcher) {
    throw new InvalidRequestError(
      `'${first.param}': the model '${chat.model}' does not fetch image URLs; send the image as a base64 data URL (data:image/png;base64,…).`,
      'image_url_not_allowed', first.param);
  }
  const limits = config.limits;
  let total = chat.messages.reduce((sum, m) => sum + (m.parts ?? []).reduce((s, p) => s + (p.type === 'image' ? p.bytes.byteLength : 0), 0), 0);
  const fetched = new Map<RemoteImagePart, ContentPart>();
  const policy = { allowedHosts: allowed.allowedHosts, maxBytes: limits.maxImageBytes, timeoutMs: allowed.timeoutMs ?? CONFIG_DEFAULTS.imageFetchTimeoutMs };
  // One at a time: at most `maxImagesPerRequest` fetches, and a refused one stops the rest.
  for (const part of remote) {
    try {
      const image = checkImageBytes(await fetcher.fetch(part.url, policy, input.signal), undefined);
      total += image.bytes.byteLength;
      if (total > limits.maxImageBytesPerRequest) {
        throw new ImageInputError(`the request's images total more than ${limits.maxImageBytesPerRequest} bytes, the limit`, 'images_too_large');
      }
      fetched.set(part, { type: 'image', format: image.format, bytes: image.bytes, width: image.width, height: image.height });
    } catch (error) {
      if (error instanceof ImageFetchError || error instanceof ImageInputError) {
        throw new InvalidRequestError(`'${part.param}': ${error.message}.`, error.code, part.param);
      }
      throw error;
    }
  }
  const messages: ChatTurn[] = chat.messages.map((m) => (m.parts && m.parts.some((p) => p.type === 'remote_image')
    ? { ...m, parts: m.parts.map((p) => (p.type === 'remote_image' ? fetched.get(p)! : p)) }
    : m));
  return { ...chat, messages };
}

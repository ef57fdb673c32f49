/**
 * A request body over `limits.maxBodyBytes`: which field made it too large. The transports stop
 * reading at the limit (the bytes beyond it are never buffered) and hand over what they read
 * (`GatewayRequest.bodyPrefix`); a tolerant scan of those bytes finds the JSON path of the string
 * value the limit cut. When that value is an image URL (`messages[i].content[j].image_url.url`),
 * the answer is the image error a smaller image gets — 400 `image_too_large` naming the part —
 * rather than a 413 that names nothing; any other field is the 413 `request_too_large` as before.
 *
 * The scan is linear in the bytes (string contents are skipped with a native `indexOf`), keeps one
 * frame per open container up to `MAX_SCAN_DEPTH`, and never parses values: it reads only the
 * structure characters, which are ASCII, so UTF-8 text inside strings cannot confuse it.
 */
import { InvalidRequestError, PayloadTooLargeError } from '../errors';

/** Containers deeper than this end the scan without a path (a chat request is about 6 deep). */
export const MAX_SCAN_DEPTH = 64;
/** Object keys longer than this (in bytes) are not kept: the path is then unknown. */
const MAX_KEY_BYTES = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

interface ObjectFrame { readonly kind: 'object'; key: string | undefined; expectingKey: boolean }
interface ArrayFrame { readonly kind: 'array'; index: number }
type Frame = ObjectFrame | ArrayFrame;

/** The index of the quote that closes the string whose content starts at `from`, or -1 when it is still open. */
function closingQuote(bytes: Uint8Array, from: number): number {
  let at = from;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, at);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (quote - 1 - backslashes >= from && bytes[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    at = quote + 1;
  }
}

function decodeKey(bytes: Uint8Array): string | undefined {
  if (bytes.byteLength > MAX_KEY_BYTES) return undefined;
  try {
    const key: unknown = JSON.parse(`"${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')}"`);
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}

function pathOf(frames: readonly Frame[]): string | undefined {
  let path = '';
  for (const frame of frames) {
    if (frame.kind === 'array') {
      path += `[${frame.index}]`;
    } else {
      if (frame.key === undefined) return undefined;
      path += path === '' ? frame.key : `.${frame.key}`;
    }
  }
  return path;
}

/**
 * The JSON path (`messages[0].content[1].image_url.url`) of the string value that `bytes`, the
 * start of a JSON text, ends inside; undefined when it ends anywhere else (between values, in a
 * key, a number or a literal), or when the path cannot be told (a key too long or not valid JSON,
 * nesting deeper than `MAX_SCAN_DEPTH`). Tolerant: malformed input gives undefined, never an error.
 *
 * @example openStringPath(Buffer.from('{"messages":[{"content":"Hel')) // 'messages[0].content'
 */
export function openStringPath(bytes: Uint8Array): string | undefined {
  const frames: Frame[] = [];
  const n = bytes.byteLength;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    const top = frames.length > 0 ? frames[frames.length - 1] : undefined;
    switch (b) {
      case 0x7b: // {
      case 0x5b: // [
        if (frames.length >= MAX_SCAN_DEPTH) return undefined;
        frames.push(b === 0x7b ? { kind: 'object', key: undefined, expectingKey: true } : { kind: 'array', index: 0 });
        break;
      case 0x7d: // }
      case 0x5d: // ]
        frames.pop();
        break;
      case 0x2c: // ,
        if (top?.kind === 'array') top.index++;
        else if (top) {
          top.expectingKey = true;
          top.key = undefined;
        }
        break;
      case QUOTE: {
        const isKey = top?.kind === 'object' && top.expectingKey;
        const end = closingQuote(bytes, i + 1);
        if (end < 0) return isKey ? undefined : pathOf(frames);
        if (isKey) {
          top.key = decodeKey(bytes.subarray(i + 1, end));
          top.expectingKey = false;
        }
        i = end;
        break;
      }
      default:
        break; // ':', whitespace, numbers and literals carry no structure
    }
  }
  return undefined;
}

const IMAGE_URL_PATH = /^messages\[\d+\]\.content\[\d+\]\.image_url\.url$/;

/**
 * The error for a chat request body over `maxBodyBytes`, from the bytes read up to the limit: a
 * 400 `image_too_large` naming the image part when the limit fell inside an image URL, else the
 * 413 `request_too_large`.
 *
 * @example throw oversizedChatBody(request.bodyPrefix, limits);
 */
export function oversizedChatBody(
  prefix: Uint8Array | undefined, limits: { readonly maxBodyBytes: number; readonly maxImageBytes: number },
): InvalidRequestError | PayloadTooLargeError {
  const path = prefix !== undefined && prefix.byteLength > 0 ? openStringPath(prefix) : undefined;
  if (path !== undefined && IMAGE_URL_PATH.test(path)) {
    return new InvalidRequestError(
      `'${path}': the image makes the request body larger than its limit of ${limits.maxBodyBytes} bytes; `
      + `an image may be at most ${limits.maxImageBytes} bytes (and the whole body ${limits.maxBodyBytes}). Send a smaller image.`,
      'image_too_large', path);
  }
  return new PayloadTooLargeError(`The request body exceeds the limit of ${limits.maxBodyBytes} bytes.`, 'request_too_large');
}

/**
 * What an image's bytes are, read from the bytes themselves: the format from its magic number
 * (PNG, JPEG, GIF, WebP: what Converse image blocks accept) and the pixel size from its header,
 * never from the media type a client declared. Pure and bounded: reads headers only (a JPEG's
 * markers up to its frame header), never decodes pixels.
 */

/** The image formats the gateway accepts (Converse `ImageFormat`, lower case). */
export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

export const IMAGE_FORMATS: readonly ImageFormat[] = ['png', 'jpeg', 'gif', 'webp'];

/** The format and size of an image. */
export interface ImageInfo {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  return prefix.every((b, i) => bytes[at + i] === b);
}

function ascii(bytes: Uint8Array, at: number, text: string): boolean {
  return startsWith(bytes, [...text].map((c) => c.charCodeAt(0)), at);
}

/**
 * The format of `bytes` by magic number, or undefined when it is none of the four.
 *
 * @example sniffFormat(Buffer.from('GIF89a…')) // 'gif'
 */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, PNG_MAGIC)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a')) return 'gif';
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return 'webp';
  return undefined;
}

const u16be = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];
const u16le = (b: Uint8Array, at: number): number => b[at] | (b[at + 1] << 8);
const u24le = (b: Uint8Array, at: number): number => b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);
const u32be = (b: Uint8Array, at: number): number => ((b[at] << 24) >>> 0) + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]);

function pngSize(b: Uint8Array): [number, number] | undefined {
  // The first chunk is IHDR: length (4), type (4), width (4, big-endian), height (4).
  if (b.length < 24 || !ascii(b, 12, 'IHDR')) return undefined;
  return [u32be(b, 16), u32be(b, 20)];
}

function gifSize(b: Uint8Array): [number, number] | undefined {
  return b.length < 10 ? undefined : [u16le(b, 6), u16le(b, 8)];
}

function webpSize(b: Uint8Array): [number, number] | undefined {
  if (b.length < 30) return undefined;
  if (ascii(b, 12, 'VP8 ')) {
    // Lossy: a key frame's start code 9d 01 2a, then 14-bit width and height.
    if (!startsWith(b, [0x9d, 0x01, 0x2a], 23)) return undefined;
    return [u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff];
  }
  if (ascii(b, 12, 'VP8L')) {
    if (b[20] !== 0x2f) return undefined;
    const width = 1 + (((b[22] & 0x3f) << 8) | b[21]);
    const height = 1 + (((b[24] & 0x0f) << 10) | (b[23] << 2) | ((b[22] & 0xc0) >> 6));
    return [width, height];
  }
  if (ascii(b, 12, 'VP8X')) return [1 + u24le(b, 24), 1 + u24le(b, 27)];
  return undefined;
}

/** SOF markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) are not frames. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function jpegSize(b: Uint8Array): [number, number] | undefined {
  let at = 2;
  while (at + 3 < b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1];
    if (marker === 0xff) { at++; continue; } // fill byte
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { at += 2; continue; } // no length
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image / start of scan before a frame
    const length = u16be(b, at + 2);
    if (length < 2) return undefined;
    if (isStartOfFrame(marker)) {
      if (at + 9 > b.length) return undefined;
      return [u16be(b, at + 7), u16be(b, at + 5)];
    }
    at += 2 + length;
  }
  return undefined;
}

/**
 * The format and pixel size of an image, or undefined when the bytes are not a PNG, JPEG, GIF or
 * WebP whose header gives a size of at least 1×1.
 *
 * @example sniffImage(pngBytes) // { format: 'png', width: 640, height: 480 }
 */
export function sniffImage(bytes: Uint8Array): ImageInfo | undefined {
  const format = sniffFormat(bytes);
  if (!format) return undefined;
  const size = format === 'png' ? pngSize(bytes) : format === 'gif' ? gifSize(bytes) : format === 'webp' ? webpSize(bytes) : jpegSize(bytes);
  if (!size || size[0] < 1 || size[1] < 1) return undefined;
  return { format, width: size[0], height: size[1] };
}

/** Pixels per token of the estimate (Anthropic's published formula: tokens ≈ width × height / 750). */
export const PIXELS_PER_TOKEN = 750;

/**
 * The input tokens an image is estimated to cost: ⌈width × height / 750⌉ (Anthropic's formula for
 * Claude on Bedrock). Models that downscale large images bill fewer; the estimate does not cap, so
 * budget reservations stay on the safe side.
 *
 * @example imageTokens({ width: 1000, height: 1000 }) // 1334
 */
export function imageTokens(image: { readonly width: number; readonly height: number }): number {
  return Math.ceil((image.width * image.height) / PIXELS_PER_TOKEN);
}

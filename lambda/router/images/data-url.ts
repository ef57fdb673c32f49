/**
 * Base64 data URLs of images (`data:image/png;base64,iVBORw0…`), as OpenAI's `image_url` parts
 * carry them: parsed strictly, size-checked before decoding, and checked against the bytes.
 */
import { IMAGE_FORMATS, ImageFormat, ImageInfo, sniffImage } from './sniff';

/** Why a data URL was refused; `message` is for the client and never quotes the data. */
export class ImageInputError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'ImageInputError';
  }
}

/** Media types accepted in a data URL (`image/jpg` is a common misspelling of `image/jpeg`). */
const MEDIA_TYPES: Readonly<Record<string, ImageFormat>> = {
  'image/png': 'png', 'image/jpeg': 'jpeg', 'image/jpg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp',
};

/** Bedrock's largest image side, in pixels. */
export const MAX_IMAGE_SIDE = 8000;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The decoded size of base64 text of `length` characters (padding included). */
export function decodedLength(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.floor((base64.length * 3) / 4) - padding;
}

/** A decoded, checked image. */
export interface DecodedImage extends ImageInfo {
  readonly bytes: Uint8Array;
}

/**
 * Checks decoded bytes: a PNG, JPEG, GIF or WebP whose header gives its size, of the declared
 * format when one was declared, at most 8000 pixels a side.
 */
export function checkImageBytes(bytes: Uint8Array, declared: ImageFormat | undefined): DecodedImage {
  const info = sniffImage(bytes);
  if (!info) {
    throw new ImageInputError(`the bytes are not a readable ${IMAGE_FORMATS.join(', ')} image`, 'invalid_image');
  }
  if (declared !== undefined && declared !== info.format) {
    throw new ImageInputError(`the data URL declares image/${declared} but the bytes are a ${info.format} image`, 'invalid_image');
  }
  if (info.width > MAX_IMAGE_SIDE || info.height > MAX_IMAGE_SIDE) {
    throw new ImageInputError(`the image is ${info.width}×${info.height} pixels; at most ${MAX_IMAGE_SIDE} a side is accepted`, 'image_too_large');
  }
  return { ...info, bytes };
}

/**
 * Parses a base64 image data URL and checks the bytes. Throws `ImageInputError` for anything but
 * `data:image/(png|jpeg|gif|webp);base64,<base64>` whose decoded bytes (at most `maxBytes`) are an
 * image of that format.
 *
 * @example parseImageDataUrl('data:image/png;base64,iVBORw0KGgo…', 3_932_160) // { format: 'png', width, height, bytes }
 */
export function parseImageDataUrl(url: string, maxBytes: number): DecodedImage {
  const comma = url.indexOf(',');
  const header = comma > 0 && comma <= 64 ? url.slice(0, comma).toLowerCase() : '';
  const match = /^data:([a-z/]+)((?:;[a-z0-9=.-]+)*);base64$/.exec(header);
  if (!match) throw new ImageInputError("must be a base64 data URL such as 'data:image/png;base64,…'", 'invalid_image_url');
  const format = MEDIA_TYPES[match[1]];
  if (!format) {
    throw new ImageInputError(`media type '${match[1].slice(0, 40)}' is not supported; allowed: image/png, image/jpeg, image/gif, image/webp`, 'unsupported_image_format');
  }
  const data = url.slice(comma + 1);
  const size = decodedLength(data);
  // Checked before decoding, so an oversized image costs no allocation.
  if (size > maxBytes) throw new ImageInputError(`the image is ${size} bytes; the limit is ${maxBytes} bytes`, 'image_too_large');
  if (data.length === 0 || data.length % 4 !== 0 || !BASE64.test(data)) {
    throw new ImageInputError('the data is not valid base64', 'invalid_image_url');
  }
  return checkImageBytes(Buffer.from(data, 'base64'), format);
}

/**
 * A data URL of `bytes` (what OpenAI-compatible targets receive).
 *
 * @example toDataUrl('png', bytes) // 'data:image/png;base64,…'
 */
export function toDataUrl(format: ImageFormat, bytes: Uint8Array): string {
  return `data:image/${format};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}

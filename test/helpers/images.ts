/**
 * Image bytes for tests: the headers of PNG, JPEG, GIF and WebP files of a given size (what the
 * gateway reads: magic number and dimensions), followed by filler. Not decodable pictures; no
 * part of the gateway decodes pixels.
 */
import type { ImageFormat } from '../../lambda/router/images/sniff';

const u32be = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const u16be = (n: number): number[] => [(n >> 8) & 255, n & 255];
const u16le = (n: number): number[] => [n & 255, (n >> 8) & 255];
const u24le = (n: number): number[] => [n & 255, (n >> 8) & 255, (n >> 16) & 255];
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

export function pngBytes(width: number, height: number): Buffer {
  return Buffer.from([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a,
    ...u32be(13), ...ascii('IHDR'), ...u32be(width), ...u32be(height), 8, 2, 0, 0, 0, 0, 0, 0, 0,
    ...u32be(0), ...ascii('IEND'), 0xae, 0x42, 0x60, 0x82,
  ]);
}

export function jpegBytes(width: number, height: number): Buffer {
  return Buffer.from([
    0xff, 0xd8,
    0xff, 0xe0, ...u16be(16), ...ascii('JFIF'), 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, // APP0
    0xff, 0xdb, ...u16be(4), 0, 0, // a (truncated) quantisation table, skipped by length
    0xff, 0xc0, ...u16be(17), 8, ...u16be(height), ...u16be(width), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, // SOF0
    0xff, 0xd9,
  ]);
}

export function gifBytes(width: number, height: number): Buffer {
  return Buffer.from([...ascii('GIF89a'), ...u16le(width), ...u16le(height), 0, 0, 0, 0x3b]);
}

/** A WebP of the extended (`VP8X`) layout. */
export function webpBytes(width: number, height: number): Buffer {
  const chunk = [...ascii('VP8X'), ...u32be(10).reverse(), 0, 0, 0, 0, ...u24le(width - 1), ...u24le(height - 1)];
  return Buffer.from([...ascii('RIFF'), ...u32be(4 + chunk.length).reverse(), ...ascii('WEBP'), ...chunk]);
}

export const IMAGE_BUILDERS: Record<ImageFormat, (width: number, height: number) => Buffer> = {
  png: pngBytes, jpeg: jpegBytes, gif: gifBytes, webp: webpBytes,
};

export function dataUrl(format: ImageFormat, bytes: Buffer): string {
  return `data:image/${format};base64,${bytes.toString('base64')}`;
}

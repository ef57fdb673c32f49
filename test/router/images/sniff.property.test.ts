import fc from 'fast-check';
import { decodedLength, ImageInputError, MAX_IMAGE_SIDE, parseImageDataUrl, toDataUrl } from '../../../lambda/router/images/data-url';
import { IMAGE_FORMATS, imageTokens, sniffFormat, sniffImage } from '../../../lambda/router/images/sniff';
import { dataUrl, IMAGE_BUILDERS, pngBytes } from '../../helpers/images';

const format = fc.constantFrom(...IMAGE_FORMATS);
const side = fc.integer({ min: 1, max: 16_383 });

describe('image header sniffing', () => {
  test('reads the format and the size of every format at any size', () => {
    fc.assert(fc.property(format, side, side, (f, width, height) => {
      expect(sniffImage(IMAGE_BUILDERS[f](width, height))).toEqual({ format: f, width, height });
    }));
  });

  test('reads the lossless (VP8L) and lossy (VP8) WebP layouts', () => {
    // VP8L: signature 0x2f, then 14-bit width-1 and height-1 packed little-endian.
    const w = 300 - 1; const h = 200 - 1;
    const bits = w | (h << 14);
    const vp8l = Buffer.from([...Buffer.from('RIFF'), 0, 0, 0, 0, ...Buffer.from('WEBPVP8L'), 0, 0, 0, 0, 0x2f,
      bits & 255, (bits >> 8) & 255, (bits >> 16) & 255, (bits >>> 24) & 255, 0, 0, 0, 0, 0]);
    expect(sniffImage(vp8l)).toEqual({ format: 'webp', width: 300, height: 200 });
    const vp8 = Buffer.from([...Buffer.from('RIFF'), 0, 0, 0, 0, ...Buffer.from('WEBPVP8 '), 0, 0, 0, 0, 0, 0, 0,
      0x9d, 0x01, 0x2a, 640 & 255, 640 >> 8, 480 & 255, 480 >> 8, 0]);
    expect(sniffImage(vp8)).toEqual({ format: 'webp', width: 640, height: 480 });
  });

  test('never throws on arbitrary bytes, and finds no image in bytes without a magic number', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
      const info = sniffImage(bytes);
      if (sniffFormat(bytes) === undefined) expect(info).toBeUndefined();
    }));
  });

  test('a truncated header is no image', () => {
    fc.assert(fc.property(format, fc.integer({ min: 0, max: 9 }), (f, keep) => {
      expect(sniffImage(IMAGE_BUILDERS[f](64, 64).subarray(0, keep))).toBeUndefined();
    }));
  });

  test('image tokens follow width × height / 750, rounded up', () => {
    expect(imageTokens({ width: 1000, height: 1000 })).toBe(1334);
    expect(imageTokens({ width: 1, height: 1 })).toBe(1);
  });
});

describe('image data URLs', () => {
  test('round-trip: any image of any format parses back to its bytes, format and size', () => {
    fc.assert(fc.property(format, fc.integer({ min: 1, max: MAX_IMAGE_SIDE }), fc.integer({ min: 1, max: MAX_IMAGE_SIDE }), (f, w, h) => {
      const bytes = IMAGE_BUILDERS[f](w, h);
      const parsed = parseImageDataUrl(dataUrl(f, bytes), 1 << 20);
      expect({ format: parsed.format, width: parsed.width, height: parsed.height }).toEqual({ format: f, width: w, height: h });
      expect(Buffer.from(parsed.bytes).equals(bytes)).toBe(true);
      expect(toDataUrl(f, parsed.bytes)).toBe(dataUrl(f, bytes));
    }));
  });

  test('the declared type must match the bytes', () => {
    fc.assert(fc.property(format, format, (declared, actual) => {
      fc.pre(declared !== actual);
      const url = `data:image/${declared};base64,${IMAGE_BUILDERS[actual](10, 10).toString('base64')}`;
      expect(() => parseImageDataUrl(url, 1 << 20)).toThrow(`declares image/${declared} but the bytes are a ${actual} image`);
    }));
  });

  test('any string either parses to a checked image or throws an ImageInputError, never anything else', () => {
    const prefix = fc.constantFrom('data:image/png;base64,', 'data:image/jpeg;base64,', 'data:text/plain;base64,', 'data:image/png,', '', 'data:image/gif;charset=x;base64,');
    fc.assert(fc.property(prefix, fc.string({ maxLength: 200 }), (p, rest) => {
      try {
        const image = parseImageDataUrl(p + rest, 1 << 20);
        expect(IMAGE_FORMATS).toContain(image.format);
      } catch (e) {
        expect(e).toBeInstanceOf(ImageInputError);
      }
    }));
  });

  test('an image above the limit is refused before it is decoded, naming both sizes', () => {
    const url = dataUrl('png', Buffer.concat([pngBytes(10, 10), Buffer.alloc(3000)]));
    expect(() => parseImageDataUrl(url, 1000)).toThrow(/the image is 30\d\d bytes; the limit is 1000 bytes/);
  });

  test('sides above 8000 pixels are refused', () => {
    expect(() => parseImageDataUrl(dataUrl('png', pngBytes(8001, 10)), 1 << 20)).toThrow('8001×10 pixels; at most 8000 a side');
  });

  test('decodedLength counts padding', () => {
    expect(decodedLength('QQ==')).toBe(1);
    expect(decodedLength('QUI=')).toBe(2);
    expect(decodedLength('QUJD')).toBe(3);
  });
});

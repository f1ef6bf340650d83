/**
 * A corpus of awkward image files, built by the tests (never committed): every case the
 * data issue lists, with the expected outcome. Images carry recognisable content (left
 * half red, right half blue) so that orientation and colour conversion can be checked.
 *
 * @example
 *   const dir = await buildBadCorpus(mkdtempSync(join(tmpdir(), 'fg-bad-')));
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';

/** What should happen to a corpus file: decoded to width x height, or skipped for a reason. */
export interface CorpusCase {
  file: string;
  expect: { width: number; height: number } | { skip: string };
  /** Colours expected at (x, y) of the decoded image, within `tol` per channel. */
  pixels?: { x: number; y: number; rgb: [number, number, number]; tol: number }[];
  /** For root (who can read anything), unreadable files decode fine. */
  rootReads?: boolean;
}

/** 40 x 20 RGB, left half red, right half blue. */
export async function redBlue(width = 40, height = 20): Promise<Sharp> {
  const raw = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (x < width / 2) raw[o] = 230;
      else raw[o + 2] = 230;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body) >>> 0, 8 + data.length);
  return out;
}

/** A valid PNG header declaring width x height, with a token IDAT: a decompression bomb's shape. */
export function bombPng(width: number, height: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const idat = Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** Writes the corpus into `dir` and returns the cases. */
export async function buildBadCorpus(dir: string): Promise<CorpusCase[]> {
  mkdirSync(dir, { recursive: true });
  const p = (f: string) => join(dir, f);
  const cases: CorpusCase[] = [];
  const RED: [number, number, number] = [230, 0, 0];
  const BLUE: [number, number, number] = [0, 0, 230];
  // Left red, right blue, checked away from the JPEG-blurred middle.
  const redBlueAt = (tol: number, scale = 1) => [
    { x: 4, y: 10, rgb: RED.map((v) => Math.round(v * scale)) as [number, number, number], tol },
    { x: 35, y: 10, rgb: BLUE.map((v) => Math.round(v * scale)) as [number, number, number], tol },
  ];
  const ok = (file: string, width: number, height: number, pixels = redBlueAt(40)) => cases.push({ file, expect: { width, height }, pixels });
  const skip = (file: string, reason: string) => cases.push({ file, expect: { skip: reason } });

  const jpeg = await (await redBlue()).jpeg({ quality: 90 }).toBuffer();
  writeFileSync(p('good.jpg'), jpeg);
  ok('good.jpg', 40, 20);
  const big = await (await redBlue(256, 128)).jpeg({ quality: 90 }).toBuffer();
  writeFileSync(p('truncated.jpg'), big.subarray(0, Math.floor(big.length / 2)));
  skip('truncated.jpg', 'truncated');
  // Cut inside the header tables, and a PNG cut inside its IDAT: libvips words these
  // differently from a cut in the scan data, and all three are truncations.
  writeFileSync(p('truncated-header.jpg'), big.subarray(0, 200));
  skip('truncated-header.jpg', 'truncated');
  const png = await (await redBlue(256, 128)).png({ compressionLevel: 0 }).toBuffer();
  writeFileSync(p('truncated.png'), png.subarray(0, Math.floor(png.length * 0.6)));
  skip('truncated.png', 'truncated');
  writeFileSync(p('zero.jpg'), new Uint8Array(0));
  skip('zero.jpg', 'empty-file');
  writeFileSync(p('text.jpg'), 'this is not an image\n');
  skip('text.jpg', 'not-an-image');
  writeFileSync(
    p('one-pixel.png'),
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer(),
  );
  ok('one-pixel.png', 1, 1, [{ x: 0, y: 0, rgb: [255, 0, 0], tol: 0 }]);
  writeFileSync(p('bomb.png'), bombPng(50_000, 50_000));
  skip('bomb.png', 'too-large');
  // One-channel images, 70 on the left, 30 on the right: the level repeats in R, G and B.
  const grayRaw = new Uint8Array(40 * 20).map((_, i) => (i % 40 < 20 ? 70 : 30));
  const gray = () => sharp(grayRaw, { raw: { width: 40, height: 20, channels: 1 } });
  const grayAt = (tol: number) => [
    { x: 4, y: 10, rgb: [70, 70, 70] as [number, number, number], tol },
    { x: 35, y: 10, rgb: [30, 30, 30] as [number, number, number], tol },
  ];
  writeFileSync(p('gray.png'), await gray().png().toBuffer());
  ok('gray.png', 40, 20, grayAt(0));
  writeFileSync(p('gray.jpg'), await gray().jpeg().toBuffer());
  ok('gray.jpg', 40, 20, grayAt(4));
  writeFileSync(p('cmyk.jpg'), await (await redBlue()).toColourspace('cmyk').jpeg().toBuffer());
  // sRGB blue is outside the CMYK gamut (it returns as ~[27, 54, 135]); reading CMYK as
  // RGB would give yellow/black, far outside the tolerance.
  ok('cmyk.jpg', 40, 20, redBlueAt(100));
  writeFileSync(p('sixteen.png'), await (await redBlue()).toColourspace('rgb16').png().toBuffer());
  // 16-bit must be scaled to 8 bits, not clipped.
  ok('sixteen.png', 40, 20, redBlueAt(2));
  writeFileSync(p('alpha.png'), await (await redBlue()).ensureAlpha(0.5).png().toBuffer());
  // Half-transparent over the default black background: half intensity.
  ok('alpha.png', 40, 20, redBlueAt(3, 0.5));
  writeFileSync(p('palette.png'), await (await redBlue()).png({ palette: true, colours: 4 }).toBuffer());
  ok('palette.png', 40, 20, redBlueAt(3));
  // Animated GIF: frame 0 red/blue, frame 1 green; the first frame must come out.
  const green = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#00ff00' } })
    .png()
    .toBuffer();
  const first = await (await redBlue()).png().toBuffer();
  writeFileSync(
    p('animated.gif'),
    await sharp([first, green], { join: { animated: true } })
      .gif()
      .toBuffer(),
  );
  ok('animated.gif', 40, 20, redBlueAt(10));
  // Stored 40x20 with EXIF orientation 6 (rotate 90 clockwise to display): shows as 20x40.
  writeFileSync(p('exif-rotated.jpg'), await (await redBlue()).jpeg().withMetadata({ orientation: 6 }).toBuffer());
  // Turned clockwise, the left (red) half is on top.
  ok('exif-rotated.jpg', 20, 40, [
    { x: 10, y: 4, rgb: RED, tol: 40 },
    { x: 10, y: 35, rgb: BLUE, tol: 40 },
  ]);
  writeFileSync(p('image.webp'), await (await redBlue()).webp().toBuffer());
  ok('image.webp', 40, 20, redBlueAt(60));
  writeFileSync(p('image.tiff'), await (await redBlue()).tiff().toBuffer());
  ok('image.tiff', 40, 20, redBlueAt(0));
  try {
    writeFileSync(p('image.avif'), await (await redBlue()).avif().toBuffer());
    ok('image.avif', 40, 20, redBlueAt(60));
  } catch {
    // This libvips build has no AVIF encoder; nothing to test.
  }
  writeFileSync(p('noperm.jpg'), jpeg);
  chmodSync(p('noperm.jpg'), 0o000);
  cases.push({ file: 'noperm.jpg', expect: { skip: 'unreadable' }, rootReads: true, pixels: redBlueAt(40) });
  mkdirSync(p('folder.jpg'));
  skip('folder.jpg', 'unreadable');
  symlinkSync(p('does-not-exist.jpg'), p('dangling.jpg'));
  skip('dangling.jpg', 'missing');
  return cases;
}

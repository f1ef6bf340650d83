// The page's stand-in for libvips's shrink of a decoded photo (sharp's resize with its default
// Lanczos-3 kernel): a separable, antialiased Lanczos-3 reduction of 8-bit RGB, the kernel
// widened by the shrink factor, samples centred as libvips centres them. It brings the
// on-device pixels close to the server's (the browser's own canvas downscale differs more);
// it does not copy libvips's fixed-point arithmetic, so values can differ by a level or so.

function lanczos3(x) {
  if (x === 0) return 1;
  if (x <= -3 || x >= 3) return 0;
  const px = Math.PI * x;
  return (3 * Math.sin(px) * Math.sin(px / 3)) / (px * px);
}

// Per output index: the first source index and the normalised weights.
function taps(inLen, outLen) {
  const scale = inLen / outLen;
  const support = 3 * Math.max(1, scale);
  const out = [];
  for (let j = 0; j < outLen; j++) {
    const centre = (j + 0.5) * scale - 0.5;
    const first = Math.floor(centre - support) + 1;
    const last = Math.ceil(centre + support) - 1;
    const w = [];
    let sum = 0;
    for (let i = first; i <= last; i++) {
      const v = lanczos3((i - centre) / Math.max(1, scale));
      w.push(v);
      sum += v;
    }
    out.push({ first, w: w.map((v) => v / sum) });
  }
  return out;
}

/**
 * RGB pixels { data, width, height } resized to outWidth x outHeight (a reduction; equal sizes
 * return the input). Edges repeat the border pixel.
 */
export function shrinkRgb(image, outWidth, outHeight) {
  const { data, width, height } = image;
  if (outWidth === width && outHeight === height) return image;
  const cols = taps(width, outWidth);
  const rows = taps(height, outHeight);
  const mid = new Float32Array(height * outWidth * 3);
  for (let y = 0; y < height; y++) {
    for (let j = 0; j < outWidth; j++) {
      const { first, w } = cols[j];
      let r = 0,
        g = 0,
        b = 0;
      for (let k = 0; k < w.length; k++) {
        const x = Math.min(width - 1, Math.max(0, first + k));
        const o = (y * width + x) * 3;
        r += data[o] * w[k];
        g += data[o + 1] * w[k];
        b += data[o + 2] * w[k];
      }
      const o = (y * outWidth + j) * 3;
      mid[o] = r;
      mid[o + 1] = g;
      mid[o + 2] = b;
    }
  }
  const out = new Uint8Array(outHeight * outWidth * 3);
  for (let i = 0; i < outHeight; i++) {
    const { first, w } = rows[i];
    for (let j = 0; j < outWidth; j++) {
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let k = 0; k < w.length; k++) {
          const y = Math.min(height - 1, Math.max(0, first + k));
          v += mid[(y * outWidth + j) * 3 + c] * w[k];
        }
        out[(i * outWidth + j) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

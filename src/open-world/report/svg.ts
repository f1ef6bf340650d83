/**
 * Small SVG charts for the open-world report (histograms, reliability diagrams, line and
 * bar charts), rasterised to PNG by sharp as src/train/curves.ts does. Only what the report
 * needs: axes, ticks at the ends, a legend.
 *
 * @example
 *   await writePng('ood.png', histogramSvg('energy', [{ name: 'in', color: '#1f77b4', values: id }], { threshold: 3.2 }));
 */
import sharp from 'sharp';

export interface Series {
  name: string;
  color: string;
  values: number[];
}

export const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (Math.abs(v) >= 100 || v === Math.round(v) ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3));

interface Frame {
  x0: number;
  y0: number;
  w: number;
  h: number;
}

function axes(f: Frame, title: string, xr: [number, number], yr: [number, number], xlabel = '', ylabel = ''): string {
  return `<text x="${f.x0}" y="${f.y0 - 10}" font-size="13" font-family="sans-serif">${esc(title)}</text>
  <line x1="${f.x0}" y1="${f.y0 + f.h}" x2="${f.x0 + f.w}" y2="${f.y0 + f.h}" stroke="#999"/>
  <line x1="${f.x0}" y1="${f.y0}" x2="${f.x0}" y2="${f.y0 + f.h}" stroke="#999"/>
  <text x="${f.x0}" y="${f.y0 + f.h + 14}" font-size="10" font-family="sans-serif">${fmt(xr[0])}</text>
  <text x="${f.x0 + f.w}" y="${f.y0 + f.h + 14}" font-size="10" text-anchor="end" font-family="sans-serif">${fmt(xr[1])}</text>
  <text x="${f.x0 + f.w / 2}" y="${f.y0 + f.h + 14}" font-size="10" text-anchor="middle" font-family="sans-serif">${esc(xlabel)}</text>
  <text x="${f.x0 - 4}" y="${f.y0 + 8}" font-size="10" text-anchor="end" font-family="sans-serif">${fmt(yr[1])}</text>
  <text x="${f.x0 - 4}" y="${f.y0 + f.h}" font-size="10" text-anchor="end" font-family="sans-serif">${fmt(yr[0])}</text>
  <text x="${f.x0 - 4}" y="${f.y0 + f.h / 2}" font-size="10" text-anchor="end" font-family="sans-serif">${esc(ylabel)}</text>`;
}

function legend(series: { name: string; color: string }[], x: number, y: number): string {
  return series
    .map(
      (s, i) =>
        `<rect x="${x}" y="${y + i * 14 - 8}" width="10" height="10" fill="${s.color}"/><text x="${x + 14}" y="${y + i * 14}" font-size="11" font-family="sans-serif">${esc(s.name)}</text>`,
    )
    .join('');
}

const wrap = (w: number, h: number, body: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="white"/>${body}</svg>`;

/** Overlaid normalised histograms (e.g. in-distribution vs OOD scores), one panel. */
export function histogramPanel(f: Frame, title: string, series: Series[], options: { bins?: number; threshold?: number } = {}): string {
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  if (!all.length) return axes(f, `${title} (no values)`, [0, 1], [0, 1]);
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (options.threshold !== undefined && Number.isFinite(options.threshold)) {
    lo = Math.min(lo, options.threshold);
    hi = Math.max(hi, options.threshold);
  }
  if (hi === lo) hi = lo + 1;
  const bins = options.bins ?? 40;
  const hists = series.map((s) => {
    const h = new Array<number>(bins).fill(0);
    for (const v of s.values) if (Number.isFinite(v)) h[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]!++;
    return h.map((c) => c / Math.max(1, s.values.length));
  });
  const top = Math.max(1e-9, ...hists.flat());
  const bw = f.w / bins;
  const bars = hists
    .map((h, si) =>
      h
        .map((v, b) =>
          v > 0
            ? `<rect x="${(f.x0 + b * bw).toFixed(1)}" y="${(f.y0 + f.h - (v / top) * f.h).toFixed(1)}" width="${bw.toFixed(1)}" height="${((v / top) * f.h).toFixed(1)}" fill="${series[si]!.color}" fill-opacity="0.45"/>`
            : '',
        )
        .join(''),
    )
    .join('');
  const t = options.threshold;
  const thr =
    t !== undefined && Number.isFinite(t)
      ? `<line x1="${f.x0 + ((t - lo) / (hi - lo)) * f.w}" y1="${f.y0}" x2="${f.x0 + ((t - lo) / (hi - lo)) * f.w}" y2="${f.y0 + f.h}" stroke="black" stroke-dasharray="4 3"/>`
      : '';
  return axes(f, title, [lo, hi], [0, top], 'score', 'share') + bars + thr + legend(series, f.x0 + f.w - 110, f.y0 + 12);
}

/** A grid of histogram panels (one per score). */
export function histogramGridSvg(panels: { title: string; series: Series[]; threshold?: number }[], columns = 3): string {
  const pw = 330;
  const ph = 200;
  const rows = Math.ceil(panels.length / columns);
  const body = panels
    .map((p, i) =>
      histogramPanel({ x0: 50 + (i % columns) * pw, y0: 30 + Math.floor(i / columns) * ph, w: pw - 70, h: ph - 60 }, p.title, p.series, {
        threshold: p.threshold,
      }),
    )
    .join('');
  return wrap(columns * pw + 20, rows * ph + 10, body);
}

/** Reliability diagram: accuracy per confidence bin against the diagonal, for each model state. */
export function reliabilitySvg(
  title: string,
  curves: { name: string; color: string; bins: { confidence: number; accuracy: number; count: number; lo: number; hi: number }[] }[],
): string {
  const f = { x0: 50, y0: 30, w: 300, h: 300 };
  const bars = curves
    .map((c, ci) =>
      c.bins
        .map((b) => {
          if (!b.count) return '';
          const bw = ((b.hi - b.lo) * f.w) / curves.length;
          const x = f.x0 + b.lo * f.w + ci * bw;
          return `<rect x="${x.toFixed(1)}" y="${(f.y0 + f.h * (1 - b.accuracy)).toFixed(1)}" width="${bw.toFixed(1)}" height="${(f.h * b.accuracy).toFixed(1)}" fill="${c.color}" fill-opacity="0.6"/>`;
        })
        .join(''),
    )
    .join('');
  const diag = `<line x1="${f.x0}" y1="${f.y0 + f.h}" x2="${f.x0 + f.w}" y2="${f.y0}" stroke="#444" stroke-dasharray="4 3"/>`;
  return wrap(400, 370, axes(f, title, [0, 1], [0, 1], 'confidence', 'accuracy') + bars + diag + legend(curves, f.x0 + 10, f.y0 + 14));
}

/** Lines over a shared x axis (e.g. accuracy against severity, one line per corruption). */
export function linesSvg(title: string, xs: number[], series: Series[], options: { xlabel?: string; ylabel?: string; yRange?: [number, number] } = {}): string {
  const f = { x0: 50, y0: 30, w: 420, h: 260 };
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const [lo, hi] = options.yRange ?? [Math.min(0, ...all), Math.max(1e-9, ...all)];
  const xl = Math.min(...xs);
  const xh = Math.max(...xs);
  const px = (x: number) => f.x0 + ((x - xl) / (xh - xl || 1)) * f.w;
  const py = (y: number) => f.y0 + f.h * (1 - (y - lo) / (hi - lo || 1));
  const lines = series
    .map((s) => {
      const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${px(xs[i]!).toFixed(1)},${py(v).toFixed(1)}` : '')).filter(Boolean);
      return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`;
    })
    .join('');
  return wrap(640, 330, axes(f, title, [xl, xh], [lo, hi], options.xlabel ?? '', options.ylabel ?? '') + lines + legend(series, f.x0 + f.w + 20, f.y0 + 10));
}

/** Horizontal bars (e.g. per-class accuracy, sorted). */
export function barsSvg(title: string, items: { label: string; value: number }[], options: { max?: number } = {}): string {
  const rowH = 14;
  const f = { x0: 230, y0: 30, w: 380, h: items.length * rowH };
  const max = options.max ?? Math.max(1e-9, ...items.map((i) => i.value));
  const body = items
    .map(
      (it, i) =>
        `<text x="${f.x0 - 6}" y="${f.y0 + i * rowH + 10}" font-size="10" text-anchor="end" font-family="sans-serif">${esc(it.label.slice(0, 40))}</text>` +
        `<rect x="${f.x0}" y="${f.y0 + i * rowH + 2}" width="${((Math.max(0, it.value) / max) * f.w).toFixed(1)}" height="${rowH - 4}" fill="#1f77b4"/>` +
        `<text x="${f.x0 + (Math.max(0, it.value) / max) * f.w + 4}" y="${f.y0 + i * rowH + 10}" font-size="9" font-family="sans-serif">${fmt(it.value)}</text>`,
    )
    .join('');
  return wrap(680, f.h + 50, `<text x="10" y="18" font-size="13" font-family="sans-serif">${esc(title)}</text>` + body);
}

export async function writePng(path: string, svg: string): Promise<void> {
  await sharp(Buffer.from(svg)).png().toFile(path);
}

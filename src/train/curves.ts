/**
 * Loss and accuracy curves of a run as a PNG (drawn as SVG, rasterised by sharp), from the
 * epoch records of metrics.jsonl.
 */
import sharp from 'sharp';
import { writeFileAtomic } from '../io/atomic-write.js';

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAcc?: number;
  valLoss?: number;
  valAcc?: number;
}

function polyline(points: [number, number][], color: string): string {
  if (points.length === 0) return '';
  const d = points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const dots = points.map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="2.5" fill="${color}"/>`).join('');
  return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${d}"/>${dots}`;
}

function panel(title: string, series: { name: string; color: string; values: (number | undefined)[] }[], epochs: number[], x0: number): string {
  const w = 380;
  const h = 240;
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  const lo = Math.min(0, ...all);
  const hi = Math.max(1e-9, ...all);
  const ex = (i: number) => x0 + 40 + (epochs.length <= 1 ? 0 : (i / (epochs.length - 1)) * (w - 60));
  const ey = (v: number) => 40 + (h - 70) * (1 - (v - lo) / (hi - lo || 1));
  const lines = series
    .map((s) =>
      polyline(
        s.values.flatMap((v, i) => (v === undefined || !Number.isFinite(v) ? [] : [[ex(i), ey(v)] as [number, number]])),
        s.color,
      ),
    )
    .join('');
  const legend = series
    .map((s, i) => `<text x="${x0 + 50 + i * 110}" y="${h - 8}" fill="${s.color}" font-size="12" font-family="sans-serif">${s.name}</text>`)
    .join('');
  return `<g><text x="${x0 + 40}" y="22" font-size="14" font-family="sans-serif">${title}</text>
    <line x1="${x0 + 40}" y1="${h - 30}" x2="${x0 + w - 20}" y2="${h - 30}" stroke="#999"/>
    <line x1="${x0 + 40}" y1="40" x2="${x0 + 40}" y2="${h - 30}" stroke="#999"/>
    <text x="${x0 + 4}" y="44" font-size="10" font-family="sans-serif">${hi.toFixed(2)}</text>
    <text x="${x0 + 4}" y="${h - 30}" font-size="10" font-family="sans-serif">${lo.toFixed(2)}</text>
    ${lines}${legend}</g>`;
}

export async function writeCurves(path: string, records: EpochRecord[]): Promise<void> {
  const epochs = records.map((r) => r.epoch);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="780" height="250"><rect width="100%" height="100%" fill="white"/>
    ${panel(
      'loss',
      [
        { name: 'train', color: '#1f77b4', values: records.map((r) => r.trainLoss) },
        { name: 'validation', color: '#d62728', values: records.map((r) => r.valLoss) },
      ],
      epochs,
      0,
    )}
    ${panel(
      'accuracy',
      [
        { name: 'train', color: '#1f77b4', values: records.map((r) => r.trainAcc) },
        { name: 'validation', color: '#d62728', values: records.map((r) => r.valAcc) },
      ],
      epochs,
      390,
    )}</svg>`;
  writeFileAtomic(path, await sharp(Buffer.from(svg)).png().toBuffer());
}

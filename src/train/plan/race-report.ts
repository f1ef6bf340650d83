/**
 * What the `best` preset tried, for a person reading the run folder: race.md (a table of the
 * candidates, the epochs each trained and its validation accuracy) and race.png (the same as
 * bars, the winner in red).
 *
 * @example
 *   await writeRaceReport(folder, race);
 */
import sharp from 'sharp';
import { writeFileAtomic } from '../../io/atomic-write.js';
import type { RunFolder } from '../run-folder.js';
import type { RaceResult } from './race.js';

export async function writeRaceReport(folder: RunFolder, race: RaceResult): Promise<void> {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const lines = [
    '# Learning-rate race (successive halving on the validation split)',
    '',
    '| lr | head lr | epochs | validation top-1 | |',
    '| --- | --- | --- | --- | --- |',
    ...race.rows.map(
      (r) => `| ${r.lr.toPrecision(3)} | ${r.headLr?.toPrecision(3) ?? '–'} | ${r.epochs} | ${pct(r.valAccuracy)} | ${r.winner ? 'winner' : ''} |`,
    ),
    '',
    `${race.seconds.toFixed(0)} s; the candidates' runs are in race/.`,
    '',
  ];
  writeFileAtomic(folder.path('race.md'), lines.join('\n'));
  const w = 120;
  const h = 220;
  const bars = race.rows
    .map((r, i) => {
      const bh = Math.max(1, r.valAccuracy * (h - 70));
      const x = 30 + i * w;
      const colour = r.winner ? '#d62728' : '#1f77b4';
      return `<rect x="${x}" y="${h - 40 - bh}" width="${w - 30}" height="${bh}" fill="${colour}"/>
        <text x="${x}" y="${h - 44 - bh}" font-size="12" font-family="sans-serif">${pct(r.valAccuracy)} (${r.epochs} ep.)</text>
        <text x="${x}" y="${h - 22}" font-size="12" font-family="sans-serif">lr ${r.lr.toPrecision(3)}</text>`;
    })
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${40 + race.rows.length * w}" height="${h}"><rect width="100%" height="100%" fill="white"/>
    <text x="30" y="20" font-size="14" font-family="sans-serif">validation top-1 per candidate learning rate</text>${bars}</svg>`;
  writeFileAtomic(folder.path('race.png'), await sharp(Buffer.from(svg)).png().toBuffer());
}

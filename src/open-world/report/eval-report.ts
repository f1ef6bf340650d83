/**
 * The report of `finegrain eval --report DIR`: the figures of every section (accuracy,
 * calibration, unknown images, corruptions) rendered to PNG beside DIR/index.html, the page
 * itself (html.ts) and DIR/report.json with every number. The numbers come from eval and its
 * open-world hook (src/cli/commands/eval-open-world.ts); this file only draws and writes.
 *
 * @example
 *   const page = await writeEvalReport('out/', evalResult, openWorld);   // 'out/index.html'
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CorruptionName } from '../../data/corruptions/index.js';
import type { ClassificationReport } from '../../evaluation/metrics.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import type { ReliabilityBin } from '../metrics/ece.js';
import { writeReportHtml, type ReportSection } from './html.js';
import { barsSvg, COLORS, histogramGridSvg, linesSvg, reliabilitySvg, writePng } from './svg.js';

/** One OOD score's measures on the test set against the unknowns. */
export interface OodScoreRow {
  auroc: number;
  fpr95: number;
  auprIn: number;
  auprOut: number;
  threshold: number | null;
}

/** The open-world sections of `finegrain eval` (the JSON's `openWorld`), as the report reads them. */
export interface OpenWorldResult {
  calibration: Record<string, unknown> | null;
  ood: Record<string, unknown> | null;
  corruptions: Record<string, unknown> | null;
  figures: string[];
  /** Not in JSON: what the report page needs to draw. */
  plots?: OpenWorldPlots;
}

/** The raw series behind the report's figures. */
export interface OpenWorldPlots {
  reliability?: { before: ReliabilityBin[]; after: ReliabilityBin[] };
  histograms?: { title: string; id: number[]; ood: number[]; threshold?: number }[];
  corruptions?: { severities: number[]; rows: Map<CorruptionName, number[]> };
}

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : 'n/a');

/** The OOD score histograms, known classes against unknowns, one panel per score (with its threshold). */
export function oodHistogramsSvg(histograms: NonNullable<OpenWorldPlots['histograms']>): string {
  return histogramGridSvg(
    histograms.map((h) => ({
      title: h.title,
      threshold: h.threshold,
      series: [
        { name: 'known classes', color: COLORS[0]!, values: h.id },
        { name: 'unknown', color: COLORS[1]!, values: h.ood },
      ],
    })),
  );
}

/**
 * Writes DIR/report.json, the figures and DIR/index.html for eval's `result` (the accuracy
 * report and what eval adds to it) and its open-world sections; returns the page's path.
 * The names of the figures written are added to `openWorld.figures`.
 */
export async function writeEvalReport(dir: string, result: Record<string, unknown> & ClassificationReport, openWorld: OpenWorldResult): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const plots = openWorld.plots ?? {};
  const sections: ReportSection[] = [];
  const fig = async (file: string, svg: string) => {
    await writePng(join(dir, file), svg);
    openWorld.figures.push(file);
    return file;
  };
  sections.push({
    heading: 'Accuracy',
    text: `top-1 ${pct(result.top1)}, top-5 ${pct(result.top5)}, mean class accuracy ${pct(result.meanClassAccuracy)} on ${result.images} images`,
    figures: [
      await fig(
        'per-class-accuracy.png',
        barsSvg(
          'per-class accuracy (sorted)',
          [...result.perClass]
            .filter((c) => c.images > 0)
            .sort((a, b) => a.accuracy - b.accuracy)
            .map((c) => ({ label: c.name, value: c.accuracy })),
          { max: 1 },
        ),
      ),
      ...(result.confusedPairs.length
        ? [
            await fig(
              'confused-pairs.png',
              barsSvg(
                'most confused pairs (share of the actual class)',
                result.confusedPairs.map((p) => ({ label: `${p.actual} → ${p.predicted}`, value: p.rate })),
              ),
            ),
          ]
        : []),
    ],
    tables: [
      {
        caption: 'most confused pairs',
        header: ['actual', 'predicted', 'images', 'share'],
        rows: result.confusedPairs.map((p) => [p.actual, p.predicted, p.count, p.rate]),
      },
    ],
  });
  if (plots.reliability && openWorld.calibration) {
    const c = openWorld.calibration as {
      temperature: number;
      eceBefore: number;
      eceAfter: number;
      eceFloor: { mean: number };
      debiasedAfter: { l2: number; l2Upper: number; level: number };
    };
    sections.push({
      heading: 'Calibration',
      text:
        `temperature ${c.temperature.toFixed(3)} (fitted on validation); ECE, 15 bins: ${pct(c.eceBefore)} before, ${pct(c.eceAfter)} after (a perfectly calibrated model would show ${pct(c.eceFloor.mean)} on this many images); ` +
        `after, the debiased ℓ2 calibration error (an upper bound of ECE): ${pct(c.debiasedAfter.l2)}, at most ${pct(c.debiasedAfter.l2Upper)} at ${100 * c.debiasedAfter.level} % confidence`,
      figures: [
        await fig(
          'reliability.png',
          reliabilitySvg('reliability diagram', [
            { name: `T = 1 (ECE ${pct(c.eceBefore)})`, color: COLORS[1]!, bins: plots.reliability.before },
            { name: `T = ${c.temperature.toFixed(2)} (ECE ${pct(c.eceAfter)})`, color: COLORS[0]!, bins: plots.reliability.after },
          ]),
        ),
      ],
      tables: [],
    });
  }
  if (plots.histograms && openWorld.ood) {
    const o = openWorld.ood as {
      dir: string;
      scores: Record<string, OodScoreRow>;
      atThreshold: { method: string; coverage: number; acceptedAccuracy: number; oodRejected: number };
    };
    sections.push({
      heading: 'Unknown images (OOD)',
      text: `unknowns from ${o.dir}; at the stored ${o.atThreshold.method} threshold: coverage ${pct(o.atThreshold.coverage)}, accuracy of accepted ${pct(o.atThreshold.acceptedAccuracy)}, unknowns rejected ${pct(o.atThreshold.oodRejected)}`,
      figures: [await fig('ood-histograms.png', oodHistogramsSvg(plots.histograms))],
      tables: [
        {
          caption: 'OOD scores',
          header: ['score', 'AUROC', 'FPR95', 'AUPR-in', 'AUPR-out'],
          rows: Object.entries(o.scores).map(([m, r]) => [m, r.auroc, r.fpr95, r.auprIn, r.auprOut]),
        },
      ],
    });
  }
  if (plots.corruptions && openWorld.corruptions) {
    const c = openWorld.corruptions as {
      clean: { accuracy: number };
      rows: { corruption: string; severity: number; accuracy: number; relative: number; qualityFlagged: number }[];
    };
    const sev = plots.corruptions.severities;
    sections.push({
      heading: 'Corruptions',
      text: `clean accuracy ${pct(c.clean.accuracy)} through the same path`,
      figures: [
        await fig(
          'corruptions.png',
          linesSvg(
            'accuracy by severity',
            sev,
            [...plots.corruptions.rows.entries()].map(([name, vals], i) => ({ name, color: COLORS[i % COLORS.length]!, values: vals })),
            { xlabel: 'severity', ylabel: 'top-1', yRange: [0, 1] },
          ),
        ),
      ],
      tables: [
        {
          caption: 'accuracy per corruption and severity',
          header: ['corruption', 'severity', 'accuracy', 'relative to clean', 'quality gate flags'],
          rows: c.rows.map((r) => [r.corruption, r.severity, r.accuracy, r.relative, r.qualityFlagged]),
        },
      ],
    });
  }
  const json = { ...result, openWorld: { ...openWorld, plots: undefined } };
  writeFileAtomic(join(dir, 'report.json'), JSON.stringify(json, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  writeReportHtml(join(dir, 'index.html'), {
    title: `finegrain eval: ${String(result.data)}`,
    subtitle: `checkpoint ${(result.checkpoints as { path: string }[])[0]?.path}`,
    sections,
    json: 'report.json',
  });
  return join(dir, 'index.html');
}

/**
 * The one-page HTML report of `finegrain eval --report DIR`: the figures (PNG files beside
 * it) with short tables of the numbers, and a link to the full JSON (`report.json`) that
 * holds everything the page shows.
 *
 * @example
 *   writeReportHtml('out/index.html', { title: 'eval', sections: [{ heading: 'OOD', figures: ['ood.png'], tables: [] }] });
 */
import { renameSync, writeFileSync } from 'node:fs';

export interface ReportTable {
  caption: string;
  header: string[];
  rows: (string | number)[][];
}

export interface ReportSection {
  heading: string;
  text?: string;
  figures: string[];
  tables: ReportTable[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function cell(v: string | number): string {
  if (typeof v === 'number') return Number.isFinite(v) ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : 'n/a';
  return esc(v);
}

export function reportHtml(page: { title: string; subtitle?: string; sections: ReportSection[]; json?: string }): string {
  const sections = page.sections
    .map(
      (s) => `<section><h2>${esc(s.heading)}</h2>${s.text ? `<p>${esc(s.text)}</p>` : ''}
${s.figures.map((f) => `<img src="${esc(f)}" alt="${esc(f)}">`).join('\n')}
${s.tables
  .map(
    (t) =>
      `<table><caption>${esc(t.caption)}</caption><tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${t.rows.map((r) => `<tr>${r.map((v) => `<td>${cell(v)}</td>`).join('')}</tr>`).join('')}</table>`,
  )
  .join('\n')}</section>`,
    )
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(page.title)}</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}img{max-width:100%;border:1px solid #ddd;margin:6px 0}
table{border-collapse:collapse;margin:10px 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}caption{text-align:left;font-weight:bold;padding:4px 0}</style>
</head><body><h1>${esc(page.title)}</h1>${page.subtitle ? `<p>${esc(page.subtitle)}</p>` : ''}${page.json ? `<p>All numbers: <a href="${esc(page.json)}">${esc(page.json)}</a></p>` : ''}
${sections}</body></html>
`;
}

export function writeReportHtml(path: string, page: Parameters<typeof reportHtml>[0]): void {
  // through a temporary file, so a reader never sees half a page
  writeFileSync(`${path}.tmp`, reportHtml(page));
  renameSync(`${path}.tmp`, path);
}

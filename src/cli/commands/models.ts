/**
 * `finegrain models`: every registered architecture with its parameter count and its
 * multiply-adds (GFLOPs, torchvision's unit) at its default input size. Each figure is
 * computed now from the model as the registry builds it (weights left uninitialised, one
 * forward pass on a zero image for the FLOPs), so the table cannot disagree with the code.
 *
 * @example
 *   finegrain models                    # all of them (the largest take a few seconds each)
 *   finegrain models --filter regnet_y  # names containing 'regnet_y'
 *   finegrain models --json --no-flops  # machine-readable, parameter counts only (fast)
 */
import { parseArgs } from 'node:util';
import { withoutInit } from '../../nn/init.js';
import { createModel, listModels, modelInfo } from '../../models/registry.js';
import { UsageError } from '../../usage-error.js';
import { listPretrainedNames, resolvePretrainedCached, TIMM_ARCHITECTURES, torchvisionWeights } from '../../hub/index.js';

const HELP = `usage: finegrain models [--filter TEXT] [--no-flops] [--json]
       finegrain models --pretrained [--filter TEXT] [--json]

Lists every registered architecture: name, family, source (torchvision or timm), default
input size, parameters and GFLOPs (multiply-adds of one forward pass at the default input
size, as torchvision's documentation counts them).

  --filter TEXT  only names containing TEXT
  --no-flops     skip the FLOP count (it runs one forward pass per model)
  --json         one JSON array instead of the table
  --pretrained   the weights names that resolve (torchvision:<arch>[.<WEIGHTS>]) with the
                 input each expects and whether it is in the cache, and the timm
                 architectures an hf-hub:<org>/<repo> name may hold

examples:
  finegrain models --filter regnet_y
  finegrain models --no-flops --json > models.json
  finegrain models --pretrained --filter resnet`;

/** The --pretrained listing: every torchvision weights name, with its preprocessing and cache state. */
function listPretrained(filter: string | undefined, json: boolean): void {
  const rows = listPretrainedNames()
    .filter((n) => n.includes('.') && (!filter || n.includes(filter)))
    .map((name) => {
      const [arch, weights] = name.slice('torchvision:'.length).split('.') as [string, string];
      const row = torchvisionWeights(arch, weights);
      const cached = (() => {
        try {
          resolvePretrainedCached(name);
          return true;
        } catch {
          return false;
        }
      })();
      return { name, default: Boolean(row.isDefault), input: row.crop, resize: row.resize, interpolation: row.interpolation, file: row.file, cached };
    });
  if (!rows.length) throw new UsageError(`no pretrained weights name contains '${filter}'`);
  if (json) {
    console.log(JSON.stringify({ torchvision: rows, hfHub: TIMM_ARCHITECTURES }, null, 1));
    return;
  }
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`${'name'.padEnd(width)}  input  resize  interpolation  cached`);
  for (const r of rows)
    console.log(
      `${r.name.padEnd(width)}  ${String(r.input).padStart(5)}  ${String(r.resize).padStart(6)}  ${r.interpolation.padEnd(13)}  ${r.cached ? 'yes' : ''}${r.default ? '   (the default: torchvision:' + r.name.split(':')[1]!.split('.')[0] + ')' : ''}`,
    );
  const timm = [...new Set(TIMM_ARCHITECTURES.map((t) => t.timm))];
  console.log(`\n${rows.length} torchvision weights. hf-hub:<org>/<repo> resolves any timm repository whose architecture is one of:\n  ${timm.join(', ')}`);
}

/** One row of the table. */
export interface ModelRow {
  name: string;
  family: string;
  source: string;
  inputSize: [number, number, number];
  params: number;
  /** Multiply-adds / 1e9 at `inputSize`; null with --no-flops. */
  gflops: number | null;
}

/**
 * Builds one registered model (without initialising its weights) and measures it.
 * @example describeModel('resnet50', true); // { name: 'resnet50', params: 25557032, gflops: 4.09, … }
 */
export function describeModel(name: string, flops: boolean): ModelRow {
  const info = modelInfo(name);
  const model = withoutInit(() => createModel(name));
  try {
    return {
      name,
      family: info.family,
      source: info.source,
      inputSize: model.defaultInputSize,
      params: model.numParameters(),
      gflops: flops ? model.flops(model.defaultInputSize).gflops : null,
    };
  } finally {
    model.dispose();
  }
}

const HEADER = ['model', 'family', 'source', 'input', 'params (M)', 'GFLOPs'];

/** Column widths from what is known before measuring (names, families, sizes), so rows can stream. */
function columnWidths(names: string[]): number[] {
  const infos = names.map(modelInfo);
  const widest = (values: string[], i: number) => Math.max(HEADER[i]!.length, ...values.map((v) => v.length));
  return [
    widest(names, 0),
    widest(
      infos.map((i) => i.family),
      1,
    ),
    widest(
      infos.map((i) => i.source),
      2,
    ),
    widest(
      infos.map((i) => i.inputSize.join('x')),
      3,
    ),
    10,
    7,
  ];
}

function formatRow(cells: string[], widths: number[]): string {
  return cells.map((v, i) => (i < 3 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
}

function rowCells(r: ModelRow): string[] {
  return [r.name, r.family, r.source, r.inputSize.join('x'), (r.params / 1e6).toFixed(2), r.gflops === null ? '-' : r.gflops.toFixed(2)];
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      filter: { type: 'string' },
      'no-flops': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      pretrained: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (values.pretrained) return listPretrained(values.filter, values.json);
  const names = listModels(values.filter);
  if (!names.length) throw new UsageError(`no registered model name contains '${values.filter}'`);
  const rows: ModelRow[] = [];
  const widths = columnWidths(names);
  if (!values.json) console.log(`${formatRow(HEADER, widths)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  const failed: string[] = [];
  for (const name of names) {
    // Rows stream out as they are measured: the largest models take seconds each. One model
    // that fails to build is reported and the listing goes on.
    let row: ModelRow;
    try {
      row = describeModel(name, !values['no-flops']);
    } catch (e) {
      failed.push(`${name}: ${(e as Error).message}`);
      if (!values.json) console.log(`${name.padEnd(widths[0]!)}  error: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    rows.push(row);
    if (!values.json) console.log(formatRow(rowCells(row), widths));
  }
  if (values.json) console.log(`[\n${rows.map((r) => JSON.stringify(r)).join(',\n')}\n]`);
  else console.log(`\n${rows.length} models; GFLOPs = multiply-adds of one forward pass at the input size shown`);
  if (failed.length) throw new Error(`${failed.length} model(s) could not be built:\n${failed.join('\n')}`);
}

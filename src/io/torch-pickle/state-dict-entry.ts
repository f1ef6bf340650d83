/**
 * Which part of a checkpoint is the state dict. A bare `torch.save(model.state_dict())` is one
 * itself; training scripts nest it (`{"model": …, "optimizer": …}`, timm's `state_dict` and
 * `state_dict_ema`, MAE's `model`, Lightning's `state_dict` with every key under `model.`), and
 * DDP or torch.compile prefix every key (`module.`, `_orig_mod.`). `#entry` after the path picks
 * one (`ckpt.pth#model_ema`, nested as `#a/b`); without it the choice is automatic and the
 * note says what was chosen and what else is there.
 *
 * @example
 *   const { tensors, note } = chooseStateDict(raw.root, undefined, 'last.ckpt');
 *   // note: "last.ckpt: entry 'state_dict' (Lightning), 'model.' stripped from 161 keys"
 */
import { fail } from './error.js';
import { brief, PyDict, TensorRef, typeName, type PyValue } from './values.js';

export interface ChosenStateDict {
  tensors: Map<string, TensorRef>;
  /** The entry's path ('' for the whole file). */
  entry: string;
  /** One line for people: what was chosen, what was stripped, what else the file holds. */
  note: string;
}

/** Entry names, most wanted first: what training scripts call the model's own weights. */
const PREFERRED = ['state_dict', 'model', 'model_state_dict', 'module', 'net', 'network', 'model_state', 'params', 'weights'];
const STRIPPED_PREFIXES = ['module.', '_orig_mod.'];

function isStateDict(v: PyValue | undefined): v is PyDict {
  if (!(v instanceof PyDict) || v.entries.size === 0) return false;
  for (const [k, t] of v.entries) if (typeof k !== 'string' || !(t instanceof TensorRef)) return false;
  return true;
}

/** Splits `path#entry`; a path that exists with its '#' is taken whole (the caller checks). */
export function splitEntry(spec: string): {
  /** The file. */
  path: string;
  /** The entry after '#' (`model_ema`, nested `a/b`), when the spec has one. */
  entry?: string;
} {
  const i = spec.lastIndexOf('#');
  if (i <= 0) return { path: spec };
  return { path: spec.slice(0, i), entry: spec.slice(i + 1) };
}

function describe(d: PyDict): string {
  const parts: string[] = [];
  for (const [k, v] of d.entries) {
    if (parts.length === 12) {
      parts.push('…');
      break;
    }
    parts.push(`${brief(k)} (${isStateDict(v) ? `${v.entries.size} tensors` : typeName(v)})`);
  }
  return parts.join(', ');
}

/** Every state dict within three levels of the root, with its path. */
function candidates(root: PyValue): { path: string; dict: PyDict }[] {
  const out: { path: string; dict: PyDict }[] = [];
  let level: { path: string; value: PyValue }[] = [{ path: '', value: root }];
  const seen = new Set<PyValue>();
  for (let depth = 0; depth <= 3 && level.length; depth++) {
    const next: typeof level = [];
    for (const { path, value } of level) {
      if (seen.has(value)) continue;
      seen.add(value);
      if (isStateDict(value)) out.push({ path, dict: value });
      else if (value instanceof PyDict) {
        for (const [k, v] of value.entries) if (typeof k === 'string' && v instanceof PyDict) next.push({ path: path ? `${path}/${k}` : k, value: v });
      }
    }
    level = next;
  }
  return out;
}

function rank(path: string): number {
  const last = path.split('/').pop()!;
  if (/ema/i.test(last)) return 100;
  const i = PREFERRED.indexOf(last);
  return i < 0 ? 50 : i;
}

function lookup(root: PyValue, entry: string, file: string): PyValue {
  if (root instanceof PyDict && root.entries.has(entry)) return root.entries.get(entry)!;
  let v: PyValue = root;
  for (const part of entry.split('/')) {
    if (!(v instanceof PyDict) || !v.entries.has(part)) {
      const here = v instanceof PyDict ? `; it holds: ${describe(v)}` : ` (a ${typeName(v)} has no entries)`;
      return fail('NO_STATE_DICT', `${file} has no entry '${entry}'${here}`);
    }
    v = v.entries.get(part)!;
  }
  return v;
}

function isLightning(root: PyValue): boolean {
  return root instanceof PyDict && (root.entries.has('pytorch-lightning_version') || root.entries.has('lightning_version'));
}

/** The state dict of the checkpoint (or of `entry`), its keys with wrapper prefixes removed. */
export function chooseStateDict(root: PyValue, entry: string | undefined, file: string): ChosenStateDict {
  let dict: PyDict;
  let path: string;
  let others: string[] = [];
  if (entry !== undefined && entry !== '') {
    const v = lookup(root, entry, file);
    if (!isStateDict(v)) {
      const inside = v instanceof PyDict ? `; it holds: ${describe(v)}` : '';
      const type = typeName(v);
      return fail('NO_STATE_DICT', `${file}#${entry} is not a dict of tensors (it is ${/^[aeiou]/i.test(type) ? 'an' : 'a'} ${type})${inside}`);
    }
    dict = v;
    path = entry;
  } else {
    const found = candidates(root);
    if (!found.length) {
      const top = root instanceof PyDict ? `; its top level holds: ${describe(root)}` : ` (it holds a ${typeName(root)})`;
      return fail('NO_STATE_DICT', `${file} holds no state dict (a dict of tensors)${top}`);
    }
    found.sort((a, b) => rank(a.path) - rank(b.path) || b.dict.entries.size - a.dict.entries.size);
    ({ dict, path } = found[0]!);
    others = found.slice(1).map((c) => c.path);
  }
  let tensors = new Map<string, TensorRef>();
  for (const [k, t] of dict.entries) tensors.set(k as string, t as TensorRef);
  const notes: string[] = [path ? `entry '${path}'` : 'the whole file'];
  if (isLightning(root)) notes[0] += ' (Lightning)';
  const keys = () => [...tensors.keys()];
  for (const prefix of STRIPPED_PREFIXES) {
    if (keys().every((k) => k.startsWith(prefix))) {
      tensors = new Map([...tensors].map(([k, t]) => [k.slice(prefix.length), t]));
      notes.push(`'${prefix}' stripped from ${tensors.size} keys`);
    }
  }
  if (isLightning(root) && path === 'state_dict') {
    // A LightningModule's network is an attribute, conventionally `model`.
    const under = keys().filter((k) => k.startsWith('model.'));
    if (under.length) {
      const dropped = tensors.size - under.length;
      tensors = new Map(under.map((k) => [k.slice(6), tensors.get(k)!]));
      notes.push(`'model.' stripped from ${under.length} keys${dropped ? `, ${dropped} keys outside model. left out` : ''}`);
    }
  }
  if (others.length) notes.push(`also holds ${others.map((o) => `'${o}'`).join(', ')}: pick one with ${file}#${others[0]}`);
  return { tensors, entry: path, note: `${file}: ${notes.join('; ')}` };
}

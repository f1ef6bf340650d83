/**
 * ViT weights into either of finegrain's ViTs, whichever layout the file has. Two layouts are
 * known, told apart by their keys (never guessed from a file name):
 *
 * - **timm's** (`cls_token`, `pos_embed`, `patch_embed.proj.*`, `blocks.N.*`, `norm`, `head`):
 *   timm's checkpoints, the MAE reference implementation's (`mae_pretrain_vit_base.pth`) and
 *   finegrain's own MAE encoders; the names of `TimmVisionTransformer` (`vit_base_patch16_224` …);
 * - **torchvision's** (`class_token`, `conv_proj.*`, `encoder.pos_embedding`,
 *   `encoder.layers.encoder_layer_N.*`, `encoder.ln`, `heads.head`): `VisionTransformer`
 *   (`vit_b_16` …).
 *
 * A file in the other layout than the model's is renamed key by key (`TIMM_TO_TORCHVISION`; the
 * two compute the same function: torchvision's `in_proj_weight` stacks q, k, v as timm's `qkv`
 * does). A key that maps nowhere is an error naming it. Beyond renaming, as the MAE reference
 * fine-tuning (`main_finetune.py`) does:
 *
 * - the pretraining decoder (`decoder_*`, `mask_token`) is skipped, and the log says so;
 * - a position embedding for another grid is resized: the patch rows bicubically (as
 *   `interpolate_pos_embed`, align_corners off), the class token's row kept;
 * - a file without a classifier (an encoder) leaves the head to a fresh initialisation: weight
 *   N(0, (2e-5)²) truncated, bias 0 (`trunc_normal_(head.weight, std=2e-5)`);
 * - a model that pools by average (`globalPool: 'avg'`) drops the file's `norm` and starts a
 *   fresh `fc_norm` (weight 1, bias 0).
 *
 * @example
 *   const model = withoutInit(() => createModel('vit_b_16', { numClasses: 10 }));
 *   loadPretrained(model, 'mae_pretrain_vit_base.pth');   // timm keys → torchvision names
 */
import type { Tensor } from '../../tensor/tensor.js';
import { scope } from '../../tensor/scope.js';
import { cat } from '../../tensor/join.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { interpolate } from '../../nn/functional/interpolate.js';
import { ones_, truncNormal_, zeros_ } from '../../nn/init.js';
import type { WeightsFile } from '../../io/weights-file.js';
import type { ImageClassifier } from '../classifier.js';
import { TimmVisionTransformer, TIMM_VIT } from './timm-vit.js';
import { VisionTransformer, VIT } from './vit.js';

/**
 * The two ViT state-dict layouts finegrain knows.
 * @example const layout: VitLayout = vitLayoutOf(file.keys()) ?? 'timm';
 */
export type VitLayout = 'timm' | 'torchvision';

/**
 * The key mapping from timm's (and MAE's) names to torchvision's, one rule per line; `N` is a
 * block index. Documented in docs/training.md.
 * @example for (const [timm, torchvision] of TIMM_TO_TORCHVISION) console.log(`${timm} → ${torchvision}`);
 */
export const TIMM_TO_TORCHVISION: readonly (readonly [string, string])[] = [
  ['cls_token', 'class_token'],
  ['pos_embed', 'encoder.pos_embedding'],
  ['patch_embed.proj.weight', 'conv_proj.weight'],
  ['patch_embed.proj.bias', 'conv_proj.bias'],
  ['blocks.N.norm1.{weight,bias}', 'encoder.layers.encoder_layer_N.ln_1.{weight,bias}'],
  ['blocks.N.attn.qkv.weight', 'encoder.layers.encoder_layer_N.self_attention.in_proj_weight'],
  ['blocks.N.attn.qkv.bias', 'encoder.layers.encoder_layer_N.self_attention.in_proj_bias'],
  ['blocks.N.attn.proj.{weight,bias}', 'encoder.layers.encoder_layer_N.self_attention.out_proj.{weight,bias}'],
  ['blocks.N.norm2.{weight,bias}', 'encoder.layers.encoder_layer_N.ln_2.{weight,bias}'],
  ['blocks.N.mlp.fc1.{weight,bias}', 'encoder.layers.encoder_layer_N.mlp.0.{weight,bias}'],
  ['blocks.N.mlp.fc2.{weight,bias}', 'encoder.layers.encoder_layer_N.mlp.3.{weight,bias}'],
  ['norm.{weight,bias}', 'encoder.ln.{weight,bias}'],
  ['head.{weight,bias}', 'heads.head.{weight,bias}'],
];

/** A rule's pattern as a RegExp; `N` captures the block index, `{weight,bias}` the suffix. */
function rulePattern(p: string): RegExp {
  const src = p
    .replace(/\./g, '\\.')
    .replace(/(^|\\\.|_)N(?=\\\.)/g, '$1(\\d+)')
    .replace('{weight,bias}', '(weight|bias)');
  return new RegExp(`^${src}$`);
}

/** Fills a rule's other side with what the pattern captured (block index first, then the suffix). */
function fillRule(p: string, groups: string[]): string {
  let i = 0;
  let out = p.replace(/(^|\.|_)N(?=\.)/g, (_, pre: string) => pre + groups[i++]);
  if (out.includes('{weight,bias}')) out = out.replace('{weight,bias}', groups[i++]!);
  return out;
}

const RULES = TIMM_TO_TORCHVISION.map(([timm, tv]) => ({ timm, tv, timmRe: rulePattern(timm), tvRe: rulePattern(tv) }));

/**
 * The name of `key` in the other layout, or undefined when no rule maps it.
 *
 * @example
 *   renameVitKey('blocks.3.attn.qkv.weight', 'timm'); // 'encoder.layers.encoder_layer_3.self_attention.in_proj_weight'
 */
export function renameVitKey(key: string, from: VitLayout): string | undefined {
  for (const r of RULES) {
    const m = (from === 'timm' ? r.timmRe : r.tvRe).exec(key);
    if (m) return fillRule(from === 'timm' ? r.tv : r.timm, m.slice(1));
  }
  return undefined;
}

/**
 * Whether `key` belongs to MAE's pretraining decoder (`decoder_embed`, `decoder_blocks`,
 * `decoder_norm`, `decoder_pred`, `decoder_pos_embed`) or is its `mask_token`.
 *
 * @example isDecoderKey('decoder_blocks.0.attn.qkv.weight'); // true
 */
export function isDecoderKey(key: string): boolean {
  return key === 'mask_token' || key.startsWith('decoder_');
}

/**
 * The ViT layout of a state dict's keys, by the keys each layout must have, or null for
 * neither (not a ViT state dict).
 *
 * @example vitLayoutOf(['cls_token', 'pos_embed', 'patch_embed.proj.weight']); // 'timm'
 */
export function vitLayoutOf(keys: readonly string[]): VitLayout | null {
  const has = new Set(keys);
  if (has.has('cls_token') && has.has('pos_embed') && has.has('patch_embed.proj.weight')) return 'timm';
  if (has.has('class_token') && has.has('encoder.pos_embedding') && has.has('conv_proj.weight')) return 'torchvision';
  return null;
}

/**
 * The layout a finegrain ViT model uses, or null for other models.
 * @example modelVitLayout(createModel('vit_b_16')); // 'torchvision'
 */
export function modelVitLayout(model: ImageClassifier): VitLayout | null {
  if (model instanceof TimmVisionTransformer) return 'timm';
  if (model instanceof VisionTransformer) return 'torchvision';
  return null;
}

/**
 * Whether two registry names are the same Vision Transformer up to naming (width, depth,
 * heads, MLP): `vit_base_patch16_224` and `vit_b_16` are, so weights of one load into the other.
 * The patch side is checked separately (timm-named ViTs take it as an option).
 *
 * @example sameVitArchitecture('vit_base_patch16_224', 'vit_b_16'); // true
 */
export function sameVitArchitecture(a: string, b: string): boolean {
  if (a === b) return true;
  const shape = (n: string) => {
    const t = TIMM_VIT[n];
    if (t) return `${t.embedDim}/${t.depth}/${t.numHeads}/${t.embedDim * t.mlpRatio}`;
    const v = VIT[n];
    return v ? `${v.hiddenDim}/${v.numLayers}/${v.numHeads}/${v.mlpDim}` : undefined;
  };
  const sa = shape(a);
  return sa !== undefined && sa === shape(b);
}

/**
 * MAE's layer id of a ViT parameter (`get_layer_id_for_vit`), in either layout: 0 for the
 * class token, the position embedding and the patch embedding; i + 1 for block i; `depth + 1`
 * for everything after the blocks (final norm, fc_norm, head).
 *
 * @example vitLayerId('blocks.3.mlp.fc1.weight', 12); // 4
 */
export function vitLayerId(name: string, depth: number): number {
  if (/^(cls_token|pos_embed|patch_embed\.|class_token|conv_proj\.|encoder\.pos_embedding)/.test(name)) return 0;
  const m = /^(?:blocks\.|encoder\.layers\.encoder_layer_)(\d+)\./.exec(name);
  return m ? Number(m[1]) + 1 : depth + 1;
}

/**
 * Parameters MAE exempts from weight decay beyond the 1-D ones (timm's `no_weight_decay()`):
 * the class token and the position embedding, in either layout.
 *
 * @example isVitNoDecay('pos_embed'); // true
 */
export function isVitNoDecay(name: string): boolean {
  return name === 'cls_token' || name === 'pos_embed' || name === 'class_token' || name === 'encoder.pos_embedding';
}

/**
 * The number of blocks of a finegrain ViT.
 * @example vitDepth(createModel('vit_tiny_patch16_224')); // 12
 */
export function vitDepth(model: ImageClassifier): number {
  if (model instanceof TimmVisionTransformer) return model.blocks.children().length;
  if (model instanceof VisionTransformer) return model.encoder.layers.children().length;
  throw new TypeError(`${model.constructor.name} is not a Vision Transformer`);
}

/**
 * Resizes a position embedding [1, extra + g², D] to a `grid` × `grid` patch grid as MAE's
 * `interpolate_pos_embed`: the first `extra` rows (the class token's) kept, the patch rows as a
 * g × g image of D channels resized bicubically (align_corners off). The caller owns the result.
 *
 * @example
 *   const pe = resizePositionEmbedding(file.get('pos_embed'), 8);   // 14×14 → 8×8
 */
export function resizePositionEmbedding(pe: Tensor, grid: number, extra = 1): Tensor {
  const [, n, d] = pe.shape as [number, number, number];
  const old = Math.round(Math.sqrt(n - extra));
  if (old * old !== n - extra) throw new RangeError(`position embedding of ${n} rows is not ${extra} extra row(s) plus a square grid`);
  if (old === grid) return pe.clone();
  return scope(() => {
    const patches = pe.slice(1, extra).reshape(1, old, old, d).permute([0, 3, 1, 2]);
    const resized = interpolate(patches, { size: [grid, grid], mode: 'bicubic', alignCorners: false });
    return cat([pe.slice(1, 0, extra), resized.permute([0, 2, 3, 1]).flatten(1, 2)], 1).contiguous();
  });
}

/**
 * The result of `adaptVitWeights`.
 * @example const { file, notes } = adaptVitWeights(model, openWeights(path))!;
 */
export interface AdaptedVitWeights {
  /** The file as the model names it: renamed keys, decoder and dropped keys hidden, resized position embedding. */
  file: WeightsFile;
  /** Model keys the file does not provide that `initFresh` initialises (head, fc_norm). */
  fresh: string[];
  /** One line per adaptation made, for the log. */
  notes: string[];
  /** Initialises the fresh parameters as MAE's fine-tuning does; call after loading. */
  initFresh(): void;
}

/**
 * `file` seen through `model`'s names (see the module comment), or null when `model` is not a
 * ViT. Throws, naming them, for keys no rule maps or a file in neither layout.
 *
 * @example
 *   const adapted = adaptVitWeights(model, openWeights('mae_pretrain_vit_base.pth'));
 *   adapted?.notes.forEach((n) => console.log(n));
 */
export function adaptVitWeights(model: ImageClassifier, file: WeightsFile): AdaptedVitWeights | null {
  const target = modelVitLayout(model);
  if (!target) return null;
  const fileKeys = file.keys();
  const source = vitLayoutOf(fileKeys);
  if (!source) {
    throw new Error(
      `${file.path} is not a ViT state dict finegrain can map: it has neither timm's keys (cls_token, pos_embed, patch_embed.proj.weight) nor torchvision's (class_token, encoder.pos_embedding, conv_proj.weight)`,
    );
  }
  const notes: string[] = [];
  const decoder = fileKeys.filter(isDecoderKey);
  if (decoder.length) notes.push(`${file.path}: skipped ${decoder.length} keys of the MAE pretraining decoder (decoder_*, mask_token)`);
  // File key → model key.
  const toModel = new Map<string, string>();
  const unmapped: string[] = [];
  for (const k of fileKeys) {
    if (isDecoderKey(k)) continue;
    const name = source === target ? k : renameVitKey(k, source);
    if (name === undefined) unmapped.push(k);
    else toModel.set(k, name);
  }
  if (unmapped.length) {
    const shown = unmapped.slice(0, 8).join(', ') + (unmapped.length > 8 ? `, … (${unmapped.length} in all)` : '');
    throw new Error(`${file.path}: ${source} ViT keys with no ${target} name: ${shown}`);
  }
  if (source !== target) notes.push(`${file.path}: ${source} ViT keys renamed to ${target}'s (docs/training.md lists the mapping)`);
  const modelKeys = new Set(model.stateEntries().map(([k]) => k));
  // globalPool 'avg' has no final norm: the file's is dropped and fc_norm starts fresh (MAE).
  const timmAvg = model instanceof TimmVisionTransformer && model.globalPool === 'avg';
  if (timmAvg) {
    const dropped = [...toModel].filter(([, m]) => m.startsWith('norm.'));
    for (const [f] of dropped) toModel.delete(f);
    if (dropped.length) notes.push(`${file.path}: norm dropped, globalPool 'avg' normalises the pooled tokens with a fresh fc_norm (as MAE's fine-tuning)`);
  }
  const provided = new Set(toModel.values());
  const headPrefix = model.classifierPath + '.';
  const fresh = [...modelKeys].filter((k) => !provided.has(k) && ((k.startsWith(headPrefix) && model.numClasses > 0) || (timmAvg && k.startsWith('fc_norm.'))));
  const freshHead = fresh.some((k) => k.startsWith(headPrefix));
  if (freshHead)
    notes.push(`${file.path}: no classifier in the file; ${model.classifierPath} starts fresh (weight N(0, 2e-5²) truncated, bias 0, as MAE's fine-tuning)`);
  const fromModel = new Map([...toModel].map(([f, m]) => [m, f]));
  const posKey = target === 'timm' ? 'pos_embed' : 'encoder.pos_embedding';
  const posEntry = model.stateEntries().find(([k]) => k === posKey)![1];
  const posFileKey = fromModel.get(posKey);
  let posResize: number | null = null;
  if (posFileKey !== undefined) {
    const got = file.info(posFileKey).shape;
    if (got.length === 3 && got[1] !== posEntry.shape[1] && got[2] === posEntry.shape[2]) {
      posResize = Math.round(Math.sqrt(posEntry.shape[1]! - 1));
      const from = Math.round(Math.sqrt(got[1]! - 1));
      notes.push(`${file.path}: position embedding resized from a ${from}x${from} to a ${posResize}x${posResize} patch grid (bicubic; class-token row kept)`);
    }
  }
  const fileKeyOf = (k: string) => fromModel.get(k) ?? k;
  const view: WeightsFile = {
    path: file.path,
    format: file.format,
    ...(file.note !== undefined ? { note: file.note } : {}),
    keys: () => [...fromModel.keys()],
    keysInFileOrder: () => file.keysInFileOrder().flatMap((k) => (toModel.has(k) ? [toModel.get(k)!] : [])),
    has: (k) => fromModel.has(k),
    info: (k) => {
      const i = file.info(fileKeyOf(k));
      return k === posKey && posResize !== null ? { dtype: i.dtype, shape: [...posEntry.shape] } : i;
    },
    get: (k, options) => {
      const t = file.get(fileKeyOf(k), options);
      if (k !== posKey || posResize === null) return t;
      try {
        return resizePositionEmbedding(t, posResize);
      } finally {
        t.dispose();
      }
    },
    close: () => file.close(),
    [Symbol.dispose]: () => file.close(),
  };
  const initFresh = () =>
    noGrad(() => {
      const entries = new Map(model.stateEntries());
      for (const k of fresh) {
        const t = entries.get(k)!;
        // Only the head and fc_norm are ever fresh: a truncated N(0, 2e-5²) head weight,
        // LayerNorm's identity for fc_norm, zero biases.
        if (k === `${headPrefix}weight`) truncNormal_(t, { std: 2e-5 });
        else if (k === 'fc_norm.weight') ones_(t);
        else zeros_(t);
      }
    });
  return { file: view, fresh, notes, initFresh };
}

/**
 * Pretrained weights by name — downloaded once into the same caches PyTorch, timm and
 * huggingface_hub use, with no Python involved.
 *
 * Names ("specs"):
 *
 * - `hf-hub:<org>/<repo>[@revision]` — a timm repository on the Hugging Face hub
 *   (`hf-hub:timm/resnet50.a1_in1k`, `…@<branch|tag|commit>`, default `main`): its
 *   `config.json` gives the architecture (mapped to finegrain's model, or refused when the
 *   key names differ), classes and preprocessing; the weights are `model.safetensors`, else
 *   `pytorch_model.bin`.
 * - `torchvision:<arch>[.<WEIGHTS>]` — torchvision's weights (`torchvision:resnet50` is its
 *   DEFAULT, `torchvision:resnet50.IMAGENET1K_V2` one enum member), with torchvision's
 *   evaluation transform; `listPretrainedNames()` lists them all.
 * - `https://…` / `http://…` — any weights file, cached as `torch.hub.load_state_dict_from_url`
 *   caches it.
 *
 * Caches (shared with Python, so nothing is downloaded twice):
 *
 * - hub: `HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`, in
 *   huggingface_hub's layout (`models--org--repo/{blobs,snapshots,refs}`);
 * - torchvision and URLs: `$TORCH_HOME/hub/checkpoints`, else
 *   `$XDG_CACHE_HOME/torch/hub/checkpoints`, else `~/.cache/torch/hub/checkpoints`.
 *
 * Downloads stream into `<file>.incomplete`, resume with `Range` after an interruption, are
 * checked (the hub's sha256 / git blob id, torch.hub's file-name hash prefix) and only then
 * renamed into place; concurrent processes wait on a per-file lock instead of downloading
 * twice. Proxies: `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY`. Hub: `HF_ENDPOINT`, `HF_TOKEN`
 * (or `huggingface-cli login`'s token file) for gated and private repositories. Offline:
 * `HF_HUB_OFFLINE=1` or `FINEGRAIN_OFFLINE=1` (or `{ offline: true }`) uses the caches only.
 * torchvision's host can be replaced with `FINEGRAIN_TORCHVISION_URL`. See README.md here.
 *
 * @example
 *   import { resolvePretrained } from './hub/index.js';
 *   const src = await resolvePretrained('hf-hub:timm/resnet50.a1_in1k');
 *   // src.file: '~/.cache/huggingface/hub/models--timm--resnet50.a1_in1k/snapshots/<commit>/model.safetensors'
 *   // src.architecture: 'resnet50', src.preprocess: { inputSize: 224, cropFraction: 0.95, … }, src.interpolation: 'bicubic'
 *
 * @module
 */
export { isWeightsSpec, parseWeightsSpec, type WeightsSpec } from './spec.js';
export { resolvePretrained, resolvePretrainedCached, type PretrainedSource, type ResolveOptions } from './resolve.js';
export { listPretrainedNames, torchvisionWeights } from './torchvision-source.js';
/** One row of the torchvision table. @example torchvisionWeights('resnet50').file; // 'resnet50-11ad3fa6.pth' */
export type { TorchvisionWeights } from './torchvision-types.js';
export { TIMM_ARCHITECTURES, timmToFinegrain, type TimmArchitectureRow } from './timm-architectures.js';
export { WeightsError, type WeightsErrorCode } from './errors.js';
export { checkpointsDir, hubCacheDir } from './env.js';
export { fromPretrained, pretrainedOptions, type FromPretrainedOptions, type PretrainedModel } from './from-pretrained.js';

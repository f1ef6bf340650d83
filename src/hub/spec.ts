/**
 * The three ways to name weights, parsed:
 *
 * - `hf-hub:<org>/<repo>[@<revision>]` — a Hugging Face hub repository, timm's spelling
 *   (`hf_hub:` is accepted too, as timm does); the revision is a branch, tag or commit and
 *   defaults to `main`;
 * - `torchvision:<arch>[.<WEIGHTS>]` — torchvision's weights enum (`torchvision:resnet50` is
 *   its `DEFAULT`, `torchvision:resnet50.IMAGENET1K_V2` one member; `.DEFAULT` is accepted);
 * - an `https://` or `http://` URL of a weights file, cached as torch.hub caches it.
 *
 * @example
 *   parseWeightsSpec('hf-hub:timm/resnet50.a1_in1k');     // { kind: 'hf-hub', repoId: 'timm/resnet50.a1_in1k', revision: 'main' }
 *   parseWeightsSpec('torchvision:resnet50.IMAGENET1K_V2'); // { kind: 'torchvision', arch: 'resnet50', weights: 'IMAGENET1K_V2' }
 */
import { WeightsError } from './errors.js';

/**
 * A parsed spec.
 * @example const s: WeightsSpec = { kind: 'torchvision', arch: 'resnet50', weights: 'IMAGENET1K_V2' };
 */
export type WeightsSpec =
  { kind: 'hf-hub'; repoId: string; revision: string } | { kind: 'torchvision'; arch: string; weights?: string } | { kind: 'url'; url: string };

const HUB_PREFIX = /^hf[-_]hub:/;
// The hub's own rule for a name part: letters, digits, '-', '_', '.', not starting with '.'/'-'.
const REPO_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\/[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Whether a string is meant as a weights spec rather than a local file path: it starts with
 * `hf-hub:`, `torchvision:`, `http://` or `https://`. Only the prefix is checked, so a
 * misspelt spec reaches `resolvePretrained` and gets a message about the spec, not "file
 * not found".
 *
 * @example
 *   isWeightsSpec('hf-hub:timm/resnet50.a1_in1k'); // true
 *   isWeightsSpec('weights/resnet50.safetensors'); // false
 */
export function isWeightsSpec(spec: string): boolean {
  return HUB_PREFIX.test(spec) || spec.startsWith('torchvision:') || /^https?:\/\//i.test(spec);
}

/**
 * Parses a spec, or throws a `WeightsError` ('BAD_SPEC') that shows the accepted forms.
 *
 * @example
 *   parseWeightsSpec('hf-hub:timm/resnet18.a1_in1k@v1.0'); // revision 'v1.0'
 */
export function parseWeightsSpec(spec: string): WeightsSpec {
  const forms = "expected 'hf-hub:<org>/<repo>[@revision]', 'torchvision:<arch>[.<WEIGHTS>]' or an http(s):// URL";
  if (HUB_PREFIX.test(spec)) {
    const rest = spec.replace(HUB_PREFIX, '');
    const at = rest.indexOf('@');
    const repoId = at < 0 ? rest : rest.slice(0, at);
    const revision = at < 0 ? 'main' : rest.slice(at + 1);
    if (!REPO_ID.test(repoId) || repoId.includes('..'))
      throw new WeightsError('BAD_SPEC', `'${spec}': '${repoId}' is not a hub repository id (<org>/<repo>); ${forms}`);
    if (!revision || /\s/.test(revision)) throw new WeightsError('BAD_SPEC', `'${spec}': empty or malformed revision after '@'; ${forms}`);
    return { kind: 'hf-hub', repoId, revision };
  }
  if (spec.startsWith('torchvision:')) {
    const m = /^torchvision:([a-z0-9_]+)(?:\.([A-Za-z0-9_]+))?$/.exec(spec);
    if (!m) throw new WeightsError('BAD_SPEC', `'${spec}': ${forms} (e.g. torchvision:resnet50.IMAGENET1K_V2)`);
    return m[2] === undefined || m[2] === 'DEFAULT' ? { kind: 'torchvision', arch: m[1]! } : { kind: 'torchvision', arch: m[1]!, weights: m[2] };
  }
  if (/^https?:\/\//i.test(spec)) {
    let url: URL;
    try {
      url = new URL(spec);
    } catch {
      throw new WeightsError('BAD_SPEC', `'${spec}' is not a valid URL`);
    }
    const name = url.pathname.split('/').pop() ?? '';
    if (!name) throw new WeightsError('BAD_SPEC', `'${spec}': the URL names no file (its path must end in the file name, as torch.hub requires)`);
    return { kind: 'url', url: url.href };
  }
  throw new WeightsError('BAD_SPEC', `'${spec}' is not a weights spec; ${forms}`);
}

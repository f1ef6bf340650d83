/* global document, URLSearchParams, navigator, self, createImageBitmap, OffscreenCanvas */
// The finegrain web page: one photo at a time through POST /v1/classify (with the attention
// map) and POST /v1/verify — or, "on this device", through the served model (GET
// /v1/model.onnx, fetched once) on onnxruntime-web's WebAssembly build, prepared by the
// server's own preprocessing module. No framework, no build step, no CDN.
import { shrinkRgb } from './shrink.js';

const $ = (id) => document.getElementById(id);
const state = { file: null, classes: [], model: null, result: null, verification: null, runs: 0 };
// The on-device classifier, loaded once when the option is first ticked.
let onDevice = null;

function apiHeaders(extra = {}) {
  const key = $('api-key').value.trim();
  return key ? { ...extra, authorization: `Bearer ${key}` } : extra;
}

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = !message;
}

async function call(path, options = {}) {
  const r = await fetch(path, { ...options, headers: apiHeaders(options.headers) });
  const body = await r.json().catch(() => ({ message: `HTTP ${r.status}` }));
  if (r.status === 401) $('key-card').hidden = false;
  if (!r.ok) throw new Error(body.message || `HTTP ${r.status}`);
  return body;
}

async function loadModel() {
  try {
    const m = await call('/v1/model');
    state.model = m;
    state.classes = m.classes;
    $('model-line').textContent = `${m.name} · ${m.architecture} · ${m.num_classes} classes · ${m.precision} on ${m.device}`;
    // An uncalibrated model's scores are not calibrated probabilities and its "unknown" rests on
    // a default threshold: say so before anyone trusts a percentage.
    if (m.thresholds?.unknown?.calibrated === false) {
      const note = $('calibration-note');
      note.textContent =
        'This model is not calibrated: its percentages are not reliable probabilities and it will rarely answer "unknown". ' +
        'Run `finegrain calibrate --checkpoint …` on its validation images and restart the server.';
      note.hidden = false;
    }
    fillClasses('');
  } catch (e) {
    $('model-line').textContent = `model not available: ${e.message}`;
  }
}

function fillClasses(filter) {
  const q = filter.trim().toLowerCase();
  const sel = $('claimed');
  const keep = sel.value;
  sel.replaceChildren(
    ...state.classes
      .filter((c) => !q || c.toLowerCase().includes(q))
      .map((c) => {
        const o = document.createElement('option');
        o.value = o.textContent = c;
        return o;
      }),
  );
  if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
  else if (sel.options.length) sel.selectedIndex = 0;
}

const pct = (v) => `${(100 * v).toFixed(1)}%`;

/**
 * The answer's path through the class hierarchy (make › model › series), each level with its
 * score; levels below the deepest confident one are greyed and marked uncertain.
 */
function renderHierarchy(h) {
  const el = $('hierarchy-path');
  el.hidden = !h;
  if (!h) return el.replaceChildren();
  el.replaceChildren(
    ...h.path.flatMap((p, i) => {
      const span = document.createElement('span');
      span.className = p.confident ? 'level sure' : 'level uncertain';
      span.dataset.level = p.level;
      span.textContent = `${p.name} (${pct(p.score)})`;
      span.title = p.confident ? `${p.level}: confident` : `${p.level}: uncertain`;
      return i ? [document.createTextNode(' › '), span] : [span];
    }),
  );
  el.dataset.deepest = String(h.deepest_confident);
}

function renderResult(r) {
  state.result = r;
  $('result').hidden = false;
  $('verify').hidden = false;
  $('top-label').textContent = r.predictions[0]?.label ?? '—';
  $('bars').replaceChildren(
    ...r.predictions.map((p) => {
      const li = document.createElement('li');
      li.innerHTML = '<div class="row"><span class="name"></span><span class="score"></span></div><div class="track"><div class="fill"></div></div>';
      li.querySelector('.name').textContent = p.label;
      li.querySelector('.score').textContent = pct(p.score);
      li.querySelector('.fill').style.width = `${Math.max(1, 100 * p.score)}%`;
      return li;
    }),
  );
  renderHierarchy(r.hierarchy);
  const u = r.unknown;
  $('unknown-banner').hidden = !u.is_unknown;
  $('unknown-banner').textContent = u.is_unknown
    ? `This photo may show none of the known classes (${u.method} score ${u.score.toFixed(2)}, threshold ${u.threshold.toFixed(2)}${u.calibrated ? '' : ', not calibrated'}).`
    : '';
  const issues = r.quality?.issues ?? [];
  $('quality-banner').hidden = !issues.length;
  $('quality-banner').textContent = issues.length
    ? `Photo quality: ${issues.map((i) => i.replace('_', ' ')).join(', ')}. A better photo gives a more reliable answer.`
    : '';
  const t = r.timing_ms;
  $('timing').textContent = r.on_device
    ? `on this device · decode ${t.decode} ms · preprocess ${t.preprocess} ms · inference ${t.inference} ms · total ${t.total} ms`
    : `decode ${t.decode} ms · queue ${t.queue} ms · inference ${t.inference} ms · total ${t.total} ms`;
  $('top-label').dataset.source = r.on_device ? 'device' : 'server';
  showMap(r);
  $('result').dataset.runs = String(++state.runs);
}

/**
 * Loads onnxruntime-web (WebAssembly, SIMD; threads when the page is cross-origin isolated,
 * which the server's COOP/COEP headers make it), the served model (one fetch) and the
 * server's preprocessing and unknown-verdict modules.
 */
function loadOnDevice() {
  onDevice ??= (async () => {
    const [ort, { pixelsToInput }, { logitVerdicts }] = await Promise.all([
      import('/web/ort/ort.wasm.min.mjs'),
      import('/web/lib/pixels-to-input.js'),
      import('/web/lib/logit-verdict.js'),
    ]);
    const threads = self.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
    ort.env.wasm.wasmPaths = '/web/ort/';
    ort.env.wasm.numThreads = threads;
    const r = await fetch('/v1/model.onnx', { headers: apiHeaders() });
    if (!r.ok) throw new Error((await r.json().catch(() => ({}))).message || `the model could not be fetched (HTTP ${r.status})`);
    const bytes = new Uint8Array(await r.arrayBuffer());
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const m = state.model;
    const p = m.preprocess;
    const spec = { inputSize: p.input_size, cropFraction: p.crop_fraction, mean: p.mean, std: p.std };
    const verdicts = logitVerdicts(m.thresholds.unknown);
    $('device-line').textContent =
      `on this device: ready (${(bytes.length / 1e6).toFixed(1)} MB model, WebAssembly, ${threads} thread${threads > 1 ? 's' : ''}${self.crossOriginIsolated ? '' : ': the page is not cross-origin isolated'})`;
    return { ort, session, spec, decodeSide: p.decode_side, verdicts, pixelsToInput };
  })();
  onDevice.catch(() => (onDevice = null));
  return onDevice;
}

/**
 * The photo as 8-bit RGB with its short side shrunk to `side` (never enlarged), EXIF
 * orientation applied and transparency flattened onto black, as the server decodes it: the
 * browser decodes, then shrink.js reduces with libvips's Lanczos-3 (large photos are first
 * brought to twice the target by the browser, as libvips's JPEG shrink-on-load would). Pixels
 * can still differ slightly from the server's (another JPEG decoder, float arithmetic).
 */
async function decodeOnDevice(file, side) {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const short = Math.min(bitmap.width, bitmap.height);
  const scale = Math.min(1, side / short);
  const pre = Math.min(1, (2 * side) / short);
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const pw = Math.max(1, Math.round(bitmap.width * pre));
  const ph = Math.max(1, Math.round(bitmap.height * pre));
  const canvas = new OffscreenCanvas(pw, ph);
  const g = canvas.getContext('2d');
  g.imageSmoothingQuality = 'high';
  g.drawImage(bitmap, 0, 0, pw, ph);
  bitmap.close();
  const rgba = g.getImageData(0, 0, pw, ph).data;
  const data = new Uint8Array(pw * ph * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    const a = rgba[i + 3];
    data[j] = a === 255 ? rgba[i] : Math.round((rgba[i] * a) / 255);
    data[j + 1] = a === 255 ? rgba[i + 1] : Math.round((rgba[i + 1] * a) / 255);
    data[j + 2] = a === 255 ? rgba[i + 2] : Math.round((rgba[i + 2] * a) / 255);
  }
  return shrinkRgb({ data, width: pw, height: ph }, width, height);
}

async function classifyOnDevice(file) {
  const t0 = performance.now();
  const d = await loadOnDevice();
  const t1 = performance.now();
  const image = await decodeOnDevice(file, d.decodeSide);
  const t2 = performance.now();
  const s = d.spec.inputSize;
  const x = d.pixelsToInput([image], d.spec);
  const t3 = performance.now();
  const out = await d.session.run({ input: new d.ort.Tensor('float32', x, [1, 3, s, s]) });
  const logits = out.logits.data;
  const t4 = performance.now();
  const probs = d.verdicts.probabilities(logits);
  const order = [...probs.keys()].sort((a, b) => probs[b] - probs[a]).slice(0, 5);
  const u = d.verdicts.verdict(logits);
  const ms = (v) => Math.round(v * 10) / 10;
  return {
    on_device: true,
    predictions: order.map((c) => ({ label: state.classes[c], score: probs[c] })),
    unknown: { is_unknown: u.isUnknown, score: u.score, threshold: u.threshold, method: u.method, calibrated: u.calibrated },
    quality: null,
    timing_ms: { decode: ms(t2 - t1), preprocess: ms(t3 - t2), inference: ms(t4 - t3), total: ms(t4 - t0) },
  };
}

function showMap(r) {
  const kind = $('map-kind').value;
  const src = kind === 'agnostic' ? r.attention_detail?.class_agnostic : r.attention;
  const img = $('heatmap');
  if (src) img.src = src;
  img.hidden = !src || !$('show-map').checked;
  img.style.opacity = String($('opacity').value / 100);
  // No map controls where there is no map (on this device, or a server without attention maps).
  $('map-controls').hidden = !r.attention;
  const d = r.attention_detail;
  $('map-note').textContent = d
    ? kind === 'agnostic'
      ? "The recipe's attention: where the last feature map is strongest, whatever the class."
      : `Where the evidence for “${d.label}” lies (${d.method === 'cam' ? 'class activation map' : d.method}).`
    : '';
}

async function classify(file) {
  state.file = file;
  showError('');
  $('verdict').hidden = true;
  $('photo').src = URL.createObjectURL(file);
  $('heatmap').hidden = true;
  $('top-label').textContent = 'looking…';
  $('result').hidden = false;
  try {
    if ($('on-device').checked) return renderResult(await classifyOnDevice(file));
    // Attention maps where the server's runtime makes them (not with --runtime onnx).
    const attention = state.model?.attention_method ? 'true' : 'false';
    const r = await call(`/v1/classify?top_k=5&attention=${attention}`, {
      method: 'POST',
      body: file,
      headers: { 'content-type': file.type || 'application/octet-stream' },
    });
    renderResult(r);
  } catch (e) {
    $('top-label').textContent = '—';
    showError(e.message);
  }
}

async function verify(event) {
  event.preventDefault();
  const claimed = $('claimed').value;
  if (!state.file || !claimed) return;
  const button = event.submitter ?? $('verify-form').querySelector('button');
  button.disabled = true;
  try {
    const q = new URLSearchParams({ claimed, attention: state.model?.attention_method ? 'true' : 'false', top_k: '5' });
    const v = await call(`/v1/verify?${q}`, { method: 'POST', body: state.file, headers: { 'content-type': state.file.type || 'application/octet-stream' } });
    state.verification = v;
    $('verdict').hidden = false;
    $('decision').textContent = v.decision;
    $('decision').className = `decision ${v.decision}`;
    $('reason').textContent = v.reason;
    // The map now shows the evidence for the claimed class.
    renderResult({ ...state.result, attention: v.attention, attention_detail: v.attention_detail });
    showError('');
  } catch (e) {
    showError(e.message);
  } finally {
    button.disabled = false;
  }
}

function firstImage(items) {
  for (const it of items ?? []) {
    const f = it.kind === 'file' ? it.getAsFile() : it;
    if (f && f.type?.startsWith('image/')) return f;
  }
  return null;
}

const drop = $('drop');
$('pick').addEventListener('click', () => {
  $('file').removeAttribute('capture');
  $('file').click();
});
$('camera').addEventListener('click', () => {
  $('file').setAttribute('capture', 'environment');
  $('file').click();
});
$('file').addEventListener('change', () => $('file').files[0] && classify($('file').files[0]));
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = firstImage(e.dataTransfer.files);
  if (f) classify(f);
  else showError('That is not an image file.');
});
document.addEventListener('paste', (e) => {
  const f = firstImage(e.clipboardData?.items);
  if (f) classify(f);
});
for (const id of ['show-map', 'opacity', 'map-kind']) $(id).addEventListener('input', () => state.result && showMap(state.result));
$('class-search').addEventListener('input', (e) => fillClasses(e.target.value));
$('verify-form').addEventListener('submit', verify);
$('api-key').addEventListener('change', loadModel);
$('on-device').addEventListener('change', async () => {
  const line = $('device-line');
  line.hidden = !$('on-device').checked;
  if (!$('on-device').checked) return;
  line.textContent = 'on this device: loading the model…';
  try {
    await loadOnDevice();
    if (state.file) classify(state.file);
  } catch (e) {
    line.textContent = `on this device: not available (${e.message})`;
    $('on-device').checked = false;
  }
});
loadModel();

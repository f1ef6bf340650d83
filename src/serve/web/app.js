/* global document, URLSearchParams */
// The finegrain web page: one photo at a time through POST /v1/classify (with the attention
// map) and POST /v1/verify. No framework, no build step, no CDN.
const $ = (id) => document.getElementById(id);
const state = { file: null, classes: [], result: null, verification: null };

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
    state.classes = m.classes;
    $('model-line').textContent = `${m.name} · ${m.architecture} · ${m.num_classes} classes · ${m.precision} on ${m.device}`;
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
  const u = r.unknown;
  $('unknown-banner').hidden = !u.is_unknown;
  $('unknown-banner').textContent = u.is_unknown
    ? `This photo may show none of the known classes (${u.method} score ${u.score.toFixed(2)}, threshold ${u.threshold.toFixed(2)}${u.calibrated ? '' : ', not calibrated'}).`
    : '';
  const issues = r.quality.issues;
  $('quality-banner').hidden = r.quality.ok;
  $('quality-banner').textContent = r.quality.ok
    ? ''
    : `Photo quality: ${issues.map((i) => i.replace('_', ' ')).join(', ')}. A better photo gives a more reliable answer.`;
  const t = r.timing_ms;
  $('timing').textContent = `decode ${t.decode} ms · queue ${t.queue} ms · inference ${t.inference} ms · total ${t.total} ms`;
  showMap(r);
}

function showMap(r) {
  const kind = $('map-kind').value;
  const src = kind === 'agnostic' ? r.attention_detail?.class_agnostic : r.attention;
  const img = $('heatmap');
  if (src) img.src = src;
  img.hidden = !src || !$('show-map').checked;
  img.style.opacity = String($('opacity').value / 100);
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
    const r = await call('/v1/classify?top_k=5&attention=true', {
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
    const q = new URLSearchParams({ claimed, attention: 'true', top_k: '5' });
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
loadModel();

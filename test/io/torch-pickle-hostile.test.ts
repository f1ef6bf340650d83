// Hostile PyTorch checkpoints: pickles that reach for os.system, eval, exec, subprocess, classes
// outside the allowlist, BUILD on plain values, whole pickled modules, extension codes and
// out-of-band buffers, through every route the pickle format has to a global (GLOBAL, INST, OBJ,
// STACK_GLOBAL, EXT*), each placed as a raw pickle, as the data.pkl of a torch.save zip and as the
// object pickle of the legacy format. Every one must be refused with a TorchCheckpointError whose
// one-line message names what was refused, and nothing may run: each payload would create a
// sentinel file, and none may exist afterwards. The last test hands the same files to Python's
// pickle.loads / torch.load(weights_only=False), which DO create the sentinels: the payloads are real.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bufferInput, loadTorchCheckpoint, openTorchCheckpoint, PyDict, unpickle, type PyValue } from '../../src/index.js';
import { oracleSkip } from '../support/oracle.js';
import { tempDir } from './safetensors-support.js';
import {
  assertTorchError,
  binunicode,
  concat,
  legacyFile,
  p0Inst,
  p0Reduce,
  p1Obj,
  p4StackGlobal,
  pk,
  plainDictPickle,
  python,
  u32le,
  writeZip,
} from './torch-pickle-support.js';

const tmp = tempDir('fg-hostile-');
after(() => tmp.cleanup());
/** Every payload's sentinel lives here; the reader's tests assert it stays empty. */
const SENTINELS = tmp.path('sentinels');
const FILES = tmp.path('files');
mkdirSync(SENTINELS);
mkdirSync(FILES);
const sentinel = (name: string) => join(SENTINELS, name);

function assertNothingRan(): void {
  assert.deepEqual(readdirSync(SENTINELS), [], 'a payload ran: its sentinel file exists');
}

const noStorages = (): PyValue => {
  throw new Error('this pickle has no storages');
};
const unpickleBytes = (bytes: Uint8Array) => () => unpickle(bufferInput(bytes, 'hostile.pkl'), noStorages);

const HINT = ' (a whole pickled model or a custom class: save model.state_dict() instead)';
/** The refusal message for a global, exactly: refused at the global, not when called (which would add ' as a function'). */
const refusal = (qualified: string, hint = false) =>
  new RegExp(`^refused: ${qualified.replace(/[.$]/g, '\\$&')} is not allowed in a weights file${hint ? HINT.replace(/[.()]/g, '\\$&') : ''}$`);

/** A zip checkpoint whose data.pkl is `pickle` (and which holds no storages), as torch.save lays it out. */
const zipWith = (pickle: Uint8Array) =>
  writeZip([
    { name: 'archive/data.pkl', data: pickle },
    { name: 'archive/version', data: pk('3\n') },
  ]).bytes;

let fileCount = 0;
/** Writes `bytes` as a zip and a legacy checkpoint (placing `pickle` in each); returns both paths. */
function placeInFiles(pickle: Uint8Array, tag: string): { zip: string; legacy: string } {
  const n = fileCount++;
  const zip = join(FILES, `${n}-${tag}.zip.pth`);
  const legacy = join(FILES, `${n}-${tag}.legacy.pth`);
  writeFileSync(zip, zipWith(pickle));
  writeFileSync(legacy, legacyFile(pickle));
  return { zip, legacy };
}

/** Refused as raw bytes, as a zip's data.pkl and as a legacy object pickle, with the same message. */
function assertRefusedEverywhere(pickle: Uint8Array, message: RegExp, tag: string): { zip: string; legacy: string } {
  assertTorchError(unpickleBytes(pickle), 'REFUSED', message);
  const files = placeInFiles(pickle, tag);
  for (const file of [files.zip, files.legacy]) {
    assertRefusedFile(file, message);
    assertRefusedFile(file, message, openTorchCheckpoint);
  }
  return files;
}

/** Refused reading `file`: the message is `<file>: ` and then what `message` matches (as for the raw pickle). */
function assertRefusedFile(file: string, message: RegExp, load: (file: string) => unknown = loadTorchCheckpoint): Error {
  const e = assertTorchError(() => load(file), 'REFUSED');
  assert.ok(e.message.startsWith(`${file}: `), `the message should name the file first: ${e.message}`);
  assert.match(e.message.slice(file.length + 2), message);
  return e;
}

// ---- hand-assembled pickles (no Python needed)

/** Globals a weights file must never reach, with the qualified name the refusal gives. */
const FORBIDDEN: { module: string; name: string; qualified: string; hint?: boolean }[] = [
  { module: 'os', name: 'system', qualified: 'os.system' },
  { module: 'posix', name: 'system', qualified: 'posix.system' },
  { module: 'nt', name: 'system', qualified: 'nt.system' },
  { module: 'builtins', name: 'eval', qualified: 'builtins.eval' },
  { module: '__builtin__', name: 'eval', qualified: 'builtins.eval' }, // protocol 2's name for builtins
  { module: 'builtins', name: 'exec', qualified: 'builtins.exec' },
  { module: 'builtins', name: 'compile', qualified: 'builtins.compile' },
  { module: 'builtins', name: 'getattr', qualified: 'builtins.getattr' },
  { module: 'builtins', name: '__import__', qualified: 'builtins.__import__' },
  { module: 'builtins', name: 'open', qualified: 'builtins.open' },
  { module: 'subprocess', name: 'Popen', qualified: 'subprocess.Popen' },
  { module: 'subprocess', name: 'check_output', qualified: 'subprocess.check_output' },
  { module: 'pty', name: 'spawn', qualified: 'pty.spawn' },
  { module: 'runpy', name: 'run_path', qualified: 'runpy.run_path' },
  { module: 'pickle', name: 'loads', qualified: 'pickle.loads' },
  { module: 'torch', name: 'load', qualified: 'torch.load' },
  { module: 'torch.serialization', name: 'load', qualified: 'torch.serialization.load' },
  { module: 'torch.storage', name: '_load_from_bytes', qualified: 'torch.storage._load_from_bytes' },
  { module: 'torch.hub', name: 'load', qualified: 'torch.hub.load' },
  { module: 'numpy', name: 'load', qualified: 'numpy.load' },
  { module: 'functools', name: 'partial', qualified: 'functools.partial' },
  { module: 'copyreg', name: '_reconstructor', qualified: 'copyreg._reconstructor' },
  { module: 'collections', name: 'Counter', qualified: 'collections.Counter' },
  // Allowlisted module, name outside the list.
  { module: 'torch', name: 'FloatStorage.__init__', qualified: 'torch.FloatStorage.__init__' },
  { module: 'torch._utils', name: '_rebuild_tensor_v2.__globals__', qualified: 'torch._utils._rebuild_tensor_v2.__globals__' },
  { module: '__main__', name: 'Evil', qualified: '__main__.Evil', hint: true },
  { module: 'torchvision.models.resnet', name: 'ResNet', qualified: 'torchvision.models.resnet.ResNet', hint: true },
  { module: 'torch.nn.modules.conv', name: 'Conv2d', qualified: 'torch.nn.modules.conv.Conv2d', hint: true },
];

const ROUTES = {
  'GLOBAL + REDUCE (protocol 0)': p0Reduce,
  'INST (protocol 0)': p0Inst,
  'OBJ (protocol 1)': p1Obj,
  'STACK_GLOBAL (protocol 4)': p4StackGlobal,
};

/** A shell payload for os/posix/nt.system; for the rest, the argument is inert text. */
const argFor = (g: (typeof FORBIDDEN)[number], route: string) =>
  g.name === 'system' ? `touch ${sentinel(`ts-${g.module}-${route.split(' ')[0]}`)}` : `__import__("os").system("touch ${sentinel('ts-python')}")`;

test('baseline: a plain dict pickle and an allowlisted global load (the cases below differ only in the global)', () => {
  const d = unpickleBytes(plainDictPickle())();
  assert.ok(d instanceof PyDict && d.get('step') === 3);
  // An allowlisted global named and dropped, then the same dict: loads.
  const named = unpickleBytes(concat(pk('ccollections\nOrderedDict\n0'), plainDictPickle()))();
  assert.ok(named instanceof PyDict && named.get('step') === 3);
});

test('every route to a forbidden global is refused at the global, naming it (raw, zip and legacy)', () => {
  let cases = 0;
  for (const g of FORBIDDEN) {
    for (const [route, make] of Object.entries(ROUTES)) {
      const pickle = make(g.module, g.name, argFor(g, route));
      // Raw bytes everywhere; in files for the shell payloads (the ones that matter most).
      if (g.name === 'system' || g.qualified.startsWith('builtins.') || g.module === 'subprocess')
        assertRefusedEverywhere(pickle, refusal(g.qualified, g.hint), route.split(' ')[0]!);
      else assertTorchError(unpickleBytes(pickle), 'REFUSED', refusal(g.qualified, g.hint));
      cases++;
    }
  }
  assert.equal(cases, FORBIDDEN.length * 4);
  assertNothingRan();
});

test('naming a forbidden global is enough to be refused, even if it is never called', () => {
  // GLOBAL then POP, then a valid dict: an allowlist that let the global through would load this.
  for (const g of FORBIDDEN) {
    const pickle = concat(pk(`c${g.module}\n${g.name}\n0`), plainDictPickle());
    assertTorchError(unpickleBytes(pickle), 'REFUSED', refusal(g.qualified, g.hint));
  }
  assertRefusedEverywhere(concat(pk('cposix\nsystem\n0'), plainDictPickle()), refusal('posix.system'), 'named');
  assertNothingRan();
});

test('BUILD on anything but a tensor, dict or plain-data object is refused', () => {
  // BUILD calls __setstate__ (or sets attributes) in Python: on a class, that rewrites the class.
  const cases: [Uint8Array, string][] = [
    [pk(0x80, 2, ']}b.'), 'list'],
    [pk(0x80, 2, 'K\x05}b.'), 'int'],
    [pk(0x80, 2, 'N}b.'), 'None'],
    [concat(pk(0x80, 2), binunicode('text'), pk('}b.')), 'str'],
    [pk(0x80, 2, ')}b.'), 'tuple'],
    [pk(0x80, 2, 'ccollections\nOrderedDict\n}b.'), 'collections.OrderedDict'],
    [pk(0x80, 2, 'ctorch._utils\n_rebuild_tensor_v2\n}b.'), 'torch._utils._rebuild_tensor_v2'],
  ];
  for (const [pickle, what] of cases)
    assertRefusedEverywhere(pickle, new RegExp(`^refused: BUILD on a ${what.replace(/\./g, '\\.')} is not allowed in a weights file$`), `build-${what}`);
  assertNothingRan();
});

test('calling what is not an allowlisted function is refused', () => {
  // REDUCE on a string, an int, a dict; an allowlisted class used as a function.
  assertRefusedEverywhere(concat(pk(0x80, 2), binunicode('os.system'), pk(')R.')), /^refused: calling a str is not allowed/, 'call-str');
  assertRefusedEverywhere(pk(0x80, 2, 'K\x01)R.'), /^refused: calling a int is not allowed/, 'call-int');
  assertRefusedEverywhere(
    pk(0x80, 2, 'ctorch\nFloatStorage\n)R.'),
    /^refused: torch\.FloatStorage is not allowed in a weights file as a function$/,
    'call-storage',
  );
  // _rebuild_from_type_v2 with a class other than Tensor/Parameter: a tensor subclass's constructor.
  const fromType = pk(0x80, 2, 'ctorch._tensor\n_rebuild_from_type_v2\n(ctorch._utils\n_rebuild_tensor_v2\nccollections\nOrderedDict\n)NtR.');
  assertRefusedEverywhere(fromType, /^refused: collections\.OrderedDict is not allowed in a weights file as a tensor type$/, 'from-type');
  assertNothingRan();
});

test('pickle extension codes and out-of-band buffers are refused', () => {
  // EXT1/2/4 name a global through copyreg's registry (which Python consults; see the Python test).
  assertRefusedEverywhere(
    pk(0x80, 2, 0x82, 0xf0, 'X\x00\x00\x00\x00\x85R.'),
    /^refused: pickle extension codes \(EXT1\) are not allowed in a weights file$/,
    'ext1',
  );
  assertRefusedEverywhere(pk(0x80, 2, 0x83, 0xf0, 0x00, '.'), /^refused: pickle extension codes \(EXT2\)/, 'ext2');
  assertRefusedEverywhere(pk(0x80, 2, 0x84, u32le(0x7fffffff), '.'), /^refused: pickle extension codes \(EXT4\)/, 'ext4');
  assertRefusedEverywhere(pk(0x80, 5, 0x97, '.'), /^refused: out-of-band pickle buffers \(NEXT_BUFFER\) are not allowed in a weights file$/, 'next-buffer');
  assertRefusedEverywhere(pk(0x80, 5, 'N', 0x98, '.'), /^refused: out-of-band pickle buffers \(READONLY_BUFFER\)/, 'readonly-buffer');
  assertNothingRan();
});

// ---- payloads made by Python's own pickler, and torch.save of objects that hold them

/** Shared by the generator and the proof: the payload classes, defined in __main__. */
const PY_PRELUDE = `
import os, sys, json, pickle, copyreg, collections, subprocess, zipfile, struct, time
class R:
    """An object whose pickle is a call: (f, args)."""
    def __init__(self, f, a): self.f, self.a = f, a
    def __reduce__(self): return (self.f, self.a)
class Evil:
    """A class outside the allowlist whose __setstate__ (run by BUILD) writes a file."""
    def __init__(self, path): self.path = path
    def __getstate__(self): return {'path': self.path}
    def __setstate__(self, st): open(st['path'], 'w').close()
EXT_CODE = 240
`;

const PY_GENERATE = `${PY_PRELUDE}
import torch, torchvision
out, sent = sys.argv[1], sys.argv[2]
s = lambda name: os.path.join(sent, name)
torch.save({'w': torch.arange(6.0)}, os.path.join(out, 'base.pth'))
base = zipfile.ZipFile(os.path.join(out, 'base.pth'))

def binunicode(t):
    b = t.encode(); return b'X' + struct.pack('<I', len(b)) + b

cases = []
def add(id, data, sentinel=None, refused=None, message=None):
    raw = os.path.join(out, id + '.pkl'); open(raw, 'wb').write(data)
    # The payload as the data.pkl of a real torch.save zip (other records kept).
    zpath = os.path.join(out, id + '.zip.pth')
    with zipfile.ZipFile(zpath, 'w', zipfile.ZIP_STORED) as z:
        for info in base.infolist():
            z.writestr(info.filename, data if info.filename.endswith('/data.pkl') else base.read(info.filename))
    # The payload as the object pickle of the legacy format.
    lpath = os.path.join(out, id + '.legacy.pth')
    with open(lpath, 'wb') as f:
        from torch.serialization import MAGIC_NUMBER, PROTOCOL_VERSION
        pickle.dump(MAGIC_NUMBER, f, protocol=2); pickle.dump(PROTOCOL_VERSION, f, protocol=2)
        pickle.dump(dict(protocol_version=PROTOCOL_VERSION, little_endian=True, type_sizes=dict(short=2, int=4, long=4)), f, protocol=2)
        f.write(data); pickle.dump([], f, protocol=2)
    cases.append(dict(id=id, raw=raw, zip=zpath, legacy=lpath, sentinel=sentinel, refused=refused, message=message))

add('posix.system', pickle.dumps(R(os.system, ('touch ' + s('posix'),)), protocol=2), s('posix'), 'posix.system')
add('os.system', b'\\x80\\x02cos\\nsystem\\n' + binunicode('touch ' + s('os')) + b'\\x85R.', s('os'), 'os.system')
add('builtins.eval', pickle.dumps(R(eval, ("open(%r, 'w').close()" % s('eval'),)), protocol=2), s('eval'), 'builtins.eval')
add('builtins.exec', pickle.dumps(R(exec, ("open(%r, 'w').close()" % s('exec'),)), protocol=3), s('exec'), 'builtins.exec')
# Protocol 2 spells it as Python 2 did (commands.Popen), which Python 3 maps back to subprocess.Popen.
add('commands.Popen', pickle.dumps(R(subprocess.Popen, (['touch', s('popen2')],)), protocol=2), s('popen2'), 'commands.Popen')
add('subprocess.Popen', pickle.dumps(R(subprocess.Popen, (['touch', s('popen')],)), protocol=3), s('popen'), 'subprocess.Popen')
add('main.Evil', pickle.dumps(Evil(s('evil')), protocol=2), s('evil'), '__main__.Evil')
add('collections.Counter', pickle.dumps(collections.Counter(a=1), protocol=2), None, 'collections.Counter')
add('stack-global', pickle.dumps(R(os.system, ('touch ' + s('stack'),)), protocol=4), s('stack'), 'posix.system')
add('protocol-0', pickle.dumps(R(os.system, ('touch ' + s('p0'),)), protocol=0), s('p0'), 'posix.system')
copyreg.add_extension('posix', 'system', EXT_CODE)
add('ext1', pickle.dumps(R(os.system, ('touch ' + s('ext'),)), protocol=2), s('ext'), None, 'pickle extension codes (EXT1)')
copyreg.remove_extension('posix', 'system', EXT_CODE)
add('oob', pickle.dumps(pickle.PickleBuffer(bytearray(b'abc')), protocol=5, buffer_callback=lambda b: False), None, None, 'out-of-band pickle buffers (NEXT_BUFFER)')

# torch.save itself writing the payload: a state dict with one hostile value, zip and legacy.
evil_sd = {'weight': torch.ones(2), 'bias': torch.zeros(2), 'evil': R(os.system, ('touch ' + s('natural'),))}
for fmt, new in (('zip', True), ('legacy', False)):
    p = os.path.join(out, 'natural.' + fmt + '.pth'); torch.save(evil_sd, p, _use_new_zipfile_serialization=new)
    cases.append(dict(id='natural.' + fmt, raw=None, zip=p if new else None, legacy=None if new else p, sentinel=s('natural'), refused='posix.system'))
# Whole modules: torchvision's and torch.nn's classes, refused with the state_dict hint.
for id, m, qual in (('torchvision', torchvision.ops.SqueezeExcitation(8, 2), 'torchvision.ops.misc.SqueezeExcitation'),
                    ('nn', torch.nn.Sequential(torch.nn.Linear(2, 2)), 'torch.nn.modules.container.Sequential')):
    z, l = os.path.join(out, id + '.zip.pth'), os.path.join(out, id + '.legacy.pth')
    torch.save(m, z); torch.save(m, l, _use_new_zipfile_serialization=False)
    cases.append(dict(id='module.' + id, raw=None, zip=z, legacy=l, sentinel=None, refused=qual, hint=True))
print(json.dumps(cases))
`;

interface PyCase {
  id: string;
  raw: string | null;
  zip: string | null;
  legacy: string | null;
  sentinel: string | null;
  refused: string | null;
  message?: string | null;
  hint?: boolean;
}

let generated: PyCase[] | undefined;
function pythonCases(): PyCase[] {
  if (!generated) {
    const dir = tmp.path('py');
    mkdirSync(dir);
    generated = JSON.parse(python(PY_GENERATE, [dir, SENTINELS])) as PyCase[];
  }
  return generated;
}

test(
  "Python's own pickles of os.system, eval, exec, Popen, a __main__ class, Counter, EXT1 and OOB buffers, and whole modules, are refused",
  { skip: oracleSkip() },
  () => {
    const cases = pythonCases();
    assert.ok(cases.length >= 15);
    for (const c of cases) {
      const message = c.refused
        ? refusal(c.refused, c.hint ?? c.refused.startsWith('__main__'))
        : new RegExp(`^refused: ${c.message!.replace(/[()]/g, '\\$&')} are not allowed in a weights file$`);
      if (c.raw) assertTorchError(unpickleBytes(readFileSync(c.raw)), 'REFUSED', message);
      for (const file of [c.zip, c.legacy]) {
        if (!file) continue;
        const e = assertRefusedFile(file, message);
        if (c.hint) assert.match(e.message, /save model\.state_dict\(\) instead/);
        if (c.sentinel) assert.ok(!existsSync(c.sentinel), `${c.id}: the payload ran`);
      }
    }
    assertNothingRan();
  },
);

test('the payloads are real: Python pickle.loads and torch.load(weights_only=False) run them (weights_only=True refuses)', { skip: oracleSkip() }, () => {
  // Last, since it creates the sentinels the tests above assert are absent.
  assertNothingRan();
  const jobs: { file: string; how: 'pickle' | 'torch'; sentinel: string; label: string }[] = [];
  for (const c of pythonCases()) {
    if (!c.sentinel) continue;
    if (c.raw) jobs.push({ file: c.raw, how: 'pickle', sentinel: c.sentinel, label: `${c.id} raw` });
    if (c.zip) jobs.push({ file: c.zip, how: 'torch', sentinel: c.sentinel, label: `${c.id} zip` });
    if (c.legacy) jobs.push({ file: c.legacy, how: 'torch', sentinel: c.sentinel, label: `${c.id} legacy` });
  }
  // The hand-assembled routes too: INST and OBJ exist only in Python 2's pickler, but Python 3 still runs them.
  for (const [route, make] of Object.entries(ROUTES)) {
    const s = sentinel(`proof-${route.split(' ')[0]}`);
    const files = placeInFiles(make('os', 'system', `touch ${s}`), `proof-${route.split(' ')[0]}`);
    const raw = files.zip.replace('.zip.pth', '.pkl');
    writeFileSync(raw, make('os', 'system', `touch ${s}`));
    jobs.push({ file: raw, how: 'pickle', sentinel: s, label: `${route} raw` });
    jobs.push({ file: files.zip, how: 'torch', sentinel: s, label: `${route} zip` });
    jobs.push({ file: files.legacy, how: 'torch', sentinel: s, label: `${route} legacy` });
  }
  const jobsFile = tmp.path('jobs.json');
  writeFileSync(jobsFile, JSON.stringify(jobs));
  const proof = `${PY_PRELUDE}
import torch, warnings
warnings.filterwarnings('ignore')
copyreg.add_extension('posix', 'system', EXT_CODE)
res = []
for j in json.load(open(sys.argv[1])):
    r = dict(label=j['label'])
    if j['how'] == 'torch':
        try:
            torch.load(j['file'], weights_only=True); r['safe'] = 'loaded'
        except Exception as e:
            r['safe'] = type(e).__name__
        r['safe_created'] = os.path.exists(j['sentinel'])
    try:
        if j['how'] == 'pickle': pickle.loads(open(j['file'], 'rb').read())
        else: torch.load(j['file'], weights_only=False)
    except Exception as e:
        r['error'] = repr(e)[:200]
    deadline = time.time() + 10  # subprocess.Popen runs touch asynchronously
    while not os.path.exists(j['sentinel']) and time.time() < deadline: time.sleep(0.02)
    r['created'] = os.path.exists(j['sentinel'])
    if r['created']: os.remove(j['sentinel'])
    res.append(r)
print(json.dumps(res))
`;
  const results = JSON.parse(python(proof, [jobsFile])) as { label: string; created: boolean; safe?: string; safe_created?: boolean; error?: string }[];
  assert.equal(results.length, jobs.length);
  for (const r of results) {
    assert.ok(r.created, `${r.label}: Python did not run the payload (${r.error ?? 'no error'}), so the test proves nothing for it`);
    if (r.safe !== undefined) {
      assert.notEqual(r.safe, 'loaded', `${r.label}: torch.load(weights_only=True) loaded it`);
      assert.equal(r.safe_created, false, `${r.label}: torch.load(weights_only=True) ran it`);
    }
  }
  assert.ok(results.some((r) => r.label === 'os.system zip') && results.some((r) => r.label === 'INST (protocol 0) legacy'));
});

/**
 * The ONNX checker as a test oracle: Debian's python3-onnx (1.12: opset 17, IR 8) runs
 * `onnx.checker.check_model(path, full_check=True)` (structure, operator schemas, shape
 * inference) on a written file. Tests skip the check with a clear message when it is absent.
 */
import { spawnSync } from 'node:child_process';

const PYTHON = process.env.FINEGRAIN_ORACLE_PYTHON ?? '/usr/bin/python3';
let available: boolean | null = null;

export function onnxCheckerAvailable(): boolean {
  available ??= spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;
  return available;
}

export const onnxCheckerSkip = (): string | false =>
  onnxCheckerAvailable() ? false : `ONNX checker not available (${PYTHON} cannot import onnx): install python3-onnx`;

/** Runs the checker; returns null when the file passes, else the checker's message. */
export function checkOnnxFile(path: string): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import onnx, sys\nonnx.checker.check_model(sys.argv[1], full_check=True)\nprint("ok")', path], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === 'ok' ? null : (r.stderr || r.stdout).trim().split('\n').slice(-3).join('\n');
}

/**
 * Kills a CLI run at an exact moment: the child runs with a fault point armed
 * (src/fault-points.ts) and is SIGKILLed as soon as it reports its `nth` arrival at `point`.
 * Resolves with how the child ended; rejects if it never got there within two minutes.
 *
 * @example
 *   const r = await killAt(CLI, ['train', ...flags], 'train-step', 3);
 *   assert.equal(r.signal, 'SIGKILL');
 */
import { spawn } from 'node:child_process';

/** How a killed (or finished) child ended, and the fault points it passed. */
export interface KillResult {
  signal: NodeJS.Signals | null;
  code: number | null;
  trace: string[];
}

export function killAt(cli: string, args: string[], point: string, nth: number): Promise<KillResult> {
  const env = { ...process.env, FINEGRAIN_FAULT_TRACE: '1', FINEGRAIN_FAULT_PAUSE: `${point}@${nth}:60000` };
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
  const trace: string[] = [];
  let seen = 0;
  let buffered = '';
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`never reached ${point} #${nth}; trace: ${trace.join(', ')}`));
    }, 120_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const m = /^fault-point (.+)$/.exec(line);
        if (!m) continue;
        trace.push(m[1]!);
        if (m[1] === point && ++seen === nth) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(deadline);
      resolve({ signal, code, trace });
    });
  });
}

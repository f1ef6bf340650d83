/**
 * The PyTorch process of the benchmark: bench/engine/torch_engine.py under Debian's
 * /usr/bin/python3, driven by one JSON line per request. The Node process waits (idle) while
 * Python computes, and Python blocks on stdin while Node computes, so the two sides never
 * compete for the cores.
 *
 * @example
 *   const torch = await TorchSide.start('/usr/bin/python3', 'bench/engine/torch_engine.py');
 *   const info = await torch.request<{ torchVersion: string }>({ cmd: 'info' });
 *   await torch.close();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class TorchSide {
  private readonly pending: Pending[] = [];
  private exited: Error | null = null;

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.answer(line));
    child.on('exit', (code, signal) => {
      this.exited = new Error(`the PyTorch benchmark process exited (code ${code}, signal ${signal})`);
      for (const p of this.pending.splice(0)) p.reject(this.exited);
    });
    child.on('error', (e) => {
      this.exited = e;
      for (const p of this.pending.splice(0)) p.reject(e);
    });
  }

  /** Starts the Python process; its stderr goes to ours, so a traceback is visible. */
  static async start(python: string, script: string): Promise<TorchSide> {
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
    return new TorchSide(child);
  }

  private answer(line: string): void {
    const p = this.pending.shift();
    if (!p) return;
    let msg: { ok?: unknown; error?: string };
    try {
      msg = JSON.parse(line);
    } catch {
      p.reject(new Error(`unexpected output from the PyTorch process: ${line.slice(0, 200)}`));
      return;
    }
    if (msg.error !== undefined) p.reject(new Error(`PyTorch side: ${msg.error}`));
    else p.resolve(msg.ok);
  }

  /** Sends one request and waits for its answer (requests are answered in order). */
  request<T>(message: Record<string, unknown>): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin!.write(JSON.stringify(message) + '\n');
    });
  }

  /** Asks the process to quit and waits for it. */
  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end(JSON.stringify({ cmd: 'quit' }) + '\n');
    await done;
  }
}

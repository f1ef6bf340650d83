/**
 * Runs the built `finegrain` command line (build/src/cli/main.js) as a child process, the
 * way a user does, and returns its exit status and output.
 *
 * @example
 *   const r = runCli(['models', '--filter', 'resnet18', '--json']);
 *   assert.equal(r.status, 0, r.stderr);
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// This file runs as build/test/cli/cli-support.js; the CLI is build/src/cli/main.js.
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: options.timeoutMs ?? 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

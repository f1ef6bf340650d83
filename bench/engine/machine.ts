/**
 * What a benchmark figure was measured on: CPU model, cores, memory, and the libtorch and
 * PyTorch builds, so that results from different machines are never compared by accident.
 *
 * @example
 *   const m = machineInfo(torchInfo);
 *   console.log(`${m.cpuModel}, ${m.cores} cores`);
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem, type as osType } from 'node:os';
import { buildInfo } from '../../src/index.js';

/** What torch_engine.py reports about itself (its `info` request). */
export interface TorchInfo {
  torchVersion: string;
  pythonVersion: string;
  executable: string;
  numThreads: number;
  cudaAvailable: boolean;
  cudaDevice: string | null;
  mkldnn: boolean;
  parallelInfo: string;
}

export interface MachineInfo {
  cpuModel: string;
  /** Cores this process may run on (the default thread count). */
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  libtorch: { version: string; mkldnn: boolean; cuda: boolean };
  pytorch: { version: string; python: string; executable: string; mkldnn: boolean; cudaDevice: string | null };
  /** 1-minute load average when the run started and ended: other jobs on the machine. */
  loadAverage?: { start: number; end: number };
}

/** The CPU model as /proc/cpuinfo names it (falls back to what Node reports). */
export function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // not Linux: os.cpus() below
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function machineInfo(torch: TorchInfo): MachineInfo {
  const lib = buildInfo();
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    libtorch: { version: lib.torchVersion, mkldnn: lib.mkldnn, cuda: lib.cuda },
    pytorch: {
      version: torch.torchVersion,
      python: torch.pythonVersion,
      executable: torch.executable,
      mkldnn: torch.mkldnn,
      cudaDevice: torch.cudaDevice,
    },
  };
}

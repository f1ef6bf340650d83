/**
 * The CPU's instruction-set flags, as Linux's /proc/cpuinfo lists them (read once). Used where
 * a choice depends on the hardware: the training precision (AMX / AVX-512 BF16), OpenBLAS's
 * kernels. No dependencies, so the addon loader can use it before libtorch loads.
 *
 * @example
 *   /\bamx_bf16\b/.test(cpuFlags()); // true on a Sapphire Rapids Xeon
 */
import { readFileSync } from 'node:fs';

let flags: string | undefined;

/** The `flags` line of /proc/cpuinfo (space-separated), or '' where there is none (not Linux). */
export function cpuFlags(): string {
  if (flags === undefined) {
    try {
      flags =
        readFileSync('/proc/cpuinfo', 'utf8')
          .match(/^flags\s*:(.*)$/m)?.[1]
          ?.trim() ?? '';
    } catch {
      flags = '';
    }
  }
  return flags;
}

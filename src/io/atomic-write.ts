/**
 * Crash-safe file replacement: write a hidden temp file beside the target, fsync it,
 * rename it over the target (atomic on POSIX file systems), then fsync the directory so
 * the rename itself survives a power cut. A process killed at any point leaves the old
 * file or the new one, never a mix; at worst a stray `.<name>.<pid>.<random>.tmp` remains.
 *
 * @example
 *   writeFileAtomic('model.safetensors', (out) => {
 *     out.write(header);
 *     for (const chunk of chunks) out.write(chunk);
 *   });
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** Sequential writes into the temp file. */
export interface FileSink {
  /** Appends these bytes (written before the call returns, or copied to a small staging buffer). */
  write(bytes: Uint8Array): void;
  /** Bytes appended so far. */
  readonly position: number;
}

// Node refuses single reads and writes over 2 GiB; large tensors go in pieces.
const MAX_IO = 1 << 30;
// Small pieces (biases, norms) are gathered into one write; big ones go straight from
// tensor memory to the kernel with no copy.
const STAGE = 1 << 20;

/** The temp file name used for `path`: hidden, beside it, unique per process and call. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Writes `path` through `fill`, atomically: on any error the target is left as it was. */
export function writeFileAtomic(path: string, fill: (out: FileSink) => void, mode = 0o666): void {
  const temp = tempPathFor(path);
  // 'wx': fail rather than follow or reuse anything already at the temp name.
  let fd: number | undefined = openSync(temp, 'wx', mode);
  try {
    const stage = new Uint8Array(STAGE);
    let staged = 0;
    let position = 0;
    const writeAll = (bytes: Uint8Array): void => {
      let done = 0;
      while (done < bytes.byteLength) {
        done += writeSync(fd!, bytes, done, Math.min(bytes.byteLength - done, MAX_IO), null);
      }
    };
    const flush = (): void => {
      if (staged) writeAll(stage.subarray(0, staged));
      staged = 0;
    };
    fill({
      write(bytes) {
        if (bytes.byteLength <= STAGE - staged) {
          stage.set(bytes, staged);
          staged += bytes.byteLength;
        } else {
          flush();
          if (bytes.byteLength < STAGE) {
            stage.set(bytes);
            staged = bytes.byteLength;
          } else writeAll(bytes);
        }
        position += bytes.byteLength;
      },
      get position() {
        return position;
      },
    });
    flush();
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // already renamed or never created: nothing to clean up
    }
    throw e;
  }
  syncDirectory(dirname(path));
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) and file systems cannot open or fsync a directory; the
    // rename is still atomic there, only its durability across a power cut is weaker.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

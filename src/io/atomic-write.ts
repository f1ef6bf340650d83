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
 *   // bytes that go straight from native memory:
 *   writeFileAtomic('w.bin', (out) => out.writeWith(t.byteSize, (fd, at) => pwriteTensor(t, fd, at)));
 */
import { closeSync, constants, copyFileSync, existsSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** Sequential writes into the temp file. */
export interface FileSink {
  /** Appends these bytes (written before the call returns, or copied to a small staging buffer). */
  write(bytes: Uint8Array): void;
  /**
   * Appends `length` bytes that `put` writes itself with positioned writes at `position`
   * (e.g. straight from tensor memory); staged bytes are written first.
   */
  writeWith(length: number, put: (fd: number, position: number) => void): void;
  /** Bytes appended so far. */
  readonly position: number;
}

// Node refuses single reads and writes over 2 GiB; large tensors go in pieces.
const MAX_IO = 1 << 30;
// Small pieces (headers, biases, norms) are gathered into 1 MiB writes; big ones are
// written from where they are (or by `writeWith` callers straight from native memory).
const STAGE = 1 << 20;

/** The temp file name used for `path`: hidden, beside it, unique per process and call. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes `path` through `fill`, atomically: on any error the target is left as it was. A
 * symlink at `path` is replaced by the new file, not written through.
 *
 * @example
 *   writeFileAtomic('labels.json', JSON.stringify(labels));          // a string or bytes: written whole
 */
export function writeFileAtomic(path: string, content: string | Uint8Array | ((out: FileSink) => void), mode = 0o666): void {
  const fill = typeof content === 'function' ? content : (out: FileSink) => out.write(typeof content === 'string' ? Buffer.from(content) : content);
  const temp = tempPathFor(path);
  // 'wx': fail rather than follow or reuse anything already at the temp name.
  let fd: number | undefined = openSync(temp, 'wx', mode);
  try {
    const stage = new Uint8Array(STAGE);
    let staged = 0;
    let position = 0; // of the end of the staged bytes
    // Every write names its position, so they mix with positioned native writes.
    const writeAll = (bytes: Uint8Array, at: number): void => {
      let done = 0;
      while (done < bytes.byteLength) {
        done += writeSync(fd!, bytes, done, Math.min(bytes.byteLength - done, MAX_IO), at + done);
      }
    };
    const flush = (): void => {
      if (staged) writeAll(stage.subarray(0, staged), position - staged);
      staged = 0;
    };
    fill({
      write(bytes) {
        if (bytes.byteLength > STAGE - staged) flush();
        if (bytes.byteLength < STAGE) {
          stage.set(bytes, staged);
          staged += bytes.byteLength;
        } else writeAll(bytes, position);
        position += bytes.byteLength;
      },
      writeWith(length, put) {
        flush();
        put(fd!, position);
        position += length;
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

/**
 * Copies `from` over `to` atomically and durably (temp copy, fsync, rename, fsync the
 * folder): how `best.safetensors` is taken from `last.safetensors`.
 *
 * @example copyFileAtomic('checkpoints/last.safetensors', 'checkpoints/best.safetensors');
 */
export function copyFileAtomic(from: string, to: string): void {
  const temp = tempPathFor(to);
  try {
    copyFileSync(from, temp, constants.COPYFILE_EXCL);
    const fd = openSync(temp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, to);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already renamed
    }
    throw e;
  }
  syncDirectory(dirname(to));
}

/**
 * Appends `text` to `path` (created if missing) and fsyncs it before returning, so a line
 * reported as written survives a power cut: how metrics.jsonl grows.
 *
 * @example appendFileDurable('runs/a/metrics.jsonl', JSON.stringify(record) + '\n');
 */
export function appendFileDurable(path: string, text: string): void {
  const created = !existsSync(path);
  const fd = openSync(path, 'a');
  try {
    const bytes = Buffer.from(text);
    let done = 0;
    while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (created) syncDirectory(dirname(path));
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

/**
 * A cross-process lock on one cache entry, so two processes downloading the same file do
 * not write the same blob at once: the second waits, then finds the finished file.
 *
 * Why our own and not `proper-lockfile` or Python's `filelock`: huggingface_hub locks
 * `<etag>.lock` with flock(2), which Node cannot call; `proper-lockfile` (mkdir locks, last
 * released 2021, three dependencies) decides staleness by mtime alone. What is needed is
 * small: create the lock file with O_EXCL (atomic on local file systems and NFSv3+), write
 * `pid hostname` into it, refresh its mtime while held, and treat it as stale when its
 * process is dead (same host) or its mtime has not moved for a minute (another host, or a
 * reused pid). The lock name ends in `.finegrain.lock` so it never collides with the file
 * Python's filelock leaves behind at `<etag>.lock`.
 *
 * A stale lock is removed under a second, short-lived O_EXCL "takeover" file: two waiters
 * that both see the same stale lock cannot both delete it (the second would otherwise delete
 * the fresh lock the first just took).
 *
 * @example
 *   await withFileLock(`${cache}/.locks/models--timm--x/${etag}.finegrain.lock`, async () => {
 *     if (!existsSync(blob)) await download(…);
 *   });
 */
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WeightsError } from './errors.js';

/** A held lock's mtime is refreshed this often … */
const HEARTBEAT_MS = 10_000;
/** … so one whose mtime is older than this has lost its holder, wherever that was. */
const STALE_MS = 60_000;
/** An empty lock file (its creator died between create and write) is stale after this. */
const EMPTY_STALE_MS = 5_000;

/**
 * How to wait for a lock.
 * @example await withFileLock(path, work, { signal, onWait: (who) => console.error(`waiting for ${who}`) });
 */
export interface LockOptions {
  signal?: AbortSignal;
  /** Called once, when the lock is found held by another process (to tell the user why we wait). */
  onWait?: (holder: string) => void;
}

/**
 * Runs `fn` holding the lock at `lockPath` (its folder is created), waiting for another
 * holder first; releases it whatever `fn` does.
 *
 * @example
 *   const n = await withFileLock('/tmp/x.finegrain.lock', async () => 42);
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  mkdirSync(dirname(lockPath), { recursive: true });
  const token = `${process.pid} ${hostname()} ${Math.random().toString(36).slice(2)}\n`;
  let told = false;
  let delay = 50;
  while (!tryCreate(lockPath, token)) {
    if (options.signal?.aborted) throw new WeightsError('ABORTED', `aborted while waiting for the lock ${lockPath}`);
    const held = readLock(lockPath);
    if (held && isStale(held) && removeStale(lockPath, held.content)) continue;
    if (held && !told) {
      told = true;
      options.onWait?.(held.content.trim().split(' ').slice(0, 2).join(' on '));
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 500);
  }
  // Refresh the mtime so that waiters on other hosts can tell a live holder from a dead one.
  const heartbeat = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(lockPath, now, now);
    } catch {
      // the lock vanished (removed by hand): nothing to keep fresh
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    // Remove only our own lock: if it was (wrongly) taken over, the new holder's file stays.
    if (readLock(lockPath)?.content === token) unlinkQuiet(lockPath);
  }
}

function tryCreate(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

interface HeldLock {
  content: string;
  mtimeMs: number;
}

function readLock(path: string): HeldLock | undefined {
  try {
    const mtimeMs = statSync(path).mtimeMs;
    return { content: readFileSync(path, 'utf8'), mtimeMs };
  } catch {
    return undefined; // released between our attempt and this read
  }
}

function isStale(held: HeldLock): boolean {
  const age = Date.now() - held.mtimeMs;
  const [pid, host] = held.content.trim().split(' ');
  if (!pid) return age > EMPTY_STALE_MS;
  if (host === hostname() && !processAlive(Number(pid))) return true;
  return age > STALE_MS;
}

/** Whether a pid is a running process: signal 0 checks without sending (EPERM: it exists, not ours). */
function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the stale lock if it still holds `staleContent`; true when the caller may retry at once. */
function removeStale(lockPath: string, staleContent: string): boolean {
  const takeover = `${lockPath}.takeover`;
  if (!tryCreate(takeover, `${process.pid} ${hostname()}\n`)) {
    // Someone else is taking it over; a takeover file left by a crash expires quickly.
    const t = readLock(takeover);
    if (t && Date.now() - t.mtimeMs > EMPTY_STALE_MS) unlinkQuiet(takeover);
    return false;
  }
  try {
    if (readLock(lockPath)?.content === staleContent) unlinkQuiet(lockPath);
  } finally {
    unlinkQuiet(takeover);
  }
  return true;
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

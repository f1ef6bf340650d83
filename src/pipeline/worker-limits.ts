/**
 * V8 limits for the serving process's worker threads (the inference thread and the quality
 * thread). Their JavaScript allocates little per request — tensors are native memory and the
 * pixels arrive as transferred buffers — while V8's default young generation would hold
 * ~16 MiB per semi-space in each isolate for nothing (bench/serve's memory accounting).
 *
 * @example
 *   new Worker(url, { resourceLimits: WORKER_RESOURCE_LIMITS });
 */
import type { ResourceLimits } from 'node:worker_threads';

export const WORKER_RESOURCE_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 8 };

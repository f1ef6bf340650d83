/**
 * Graceful shutdown: on SIGTERM (or SIGINT) the server stops accepting connections, answers
 * 503 to new requests on open keep-alive connections, finishes every request in flight, frees
 * the model and exits 0. A second signal exits at once (status 1).
 *
 * @example
 *   onShutdownSignals(async () => { await server.close(); clf.dispose(); });
 */
export function onShutdownSignals(drain: () => Promise<void>, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`finegrain serve: ${signal} again, exiting without draining`);
      process.exit(1);
    }
    stopping = true;
    log(`finegrain serve: ${signal}, draining in-flight requests`);
    drain().then(
      () => {
        log('finegrain serve: drained, bye');
        process.exit(0);
      },
      (e) => {
        log(`finegrain serve: error while draining: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

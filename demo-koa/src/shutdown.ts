/** Cleanup that takes longer than this is abandoned, so a stuck connection cannot hang Ctrl-C. */
const SHUTDOWN_TIMEOUT_MS = 15_000;

/**
 * Runs `cleanup` once on the first SIGINT (Ctrl-C) or SIGTERM, then exits 0 (1 if cleanup
 * failed or timed out). Later signals are ignored: with `npm run` and tsx in between, one
 * Ctrl-C can reach this process more than once.
 */
export function onShutdownSignal(cleanup: () => Promise<void>): void {
  let stopping = false;
  const handle = () => {
    if (stopping) return;
    stopping = true;
    console.log('Shutting down…');
    setTimeout(() => {
      console.error(`Shutdown took longer than ${SHUTDOWN_TIMEOUT_MS / 1000} s; exiting.`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    cleanup().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('Shutdown failed:', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}

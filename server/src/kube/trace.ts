/**
 * With `DEVMODE_TRACE_API` set, each request to an API server is written to stderr once its answer begins: when it
 * was sent (ms since the process started), how long the answer took to begin, the method, the path and the status.
 * It shows which requests an operation waits for one after another. Paths and statuses only: no header, no body,
 * so no credential, reaches the trace.
 */
const enabled = (process.env.DEVMODE_TRACE_API ?? '') !== '';

/** Starts the trace of one request; call the result with its status (or an error code) when the answer begins. */
export function traceRequest(method: string, path: string): (status: number | string) => void {
  if (!enabled) return () => undefined;
  const sent = performance.now();
  let done = false;
  return (status) => {
    if (done) return;
    done = true;
    const took = performance.now() - sent;
    process.stderr.write(`devmode api ${sent.toFixed(1)} ${took.toFixed(1)} ${method} ${path} ${status}\n`);
  };
}

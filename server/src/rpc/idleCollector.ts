/**
 * Gives memory back once the server goes quiet.
 *
 * V8 collects garbage only when JavaScript allocates. A server that goes quiet after a burst (ten thousand pipelined
 * requests, hundreds of terminals, log streams and forwards opened and closed) would keep all of the burst's garbage,
 * and the resident memory under it, for as long as it stays quiet, which for an editor's backend is most of the time:
 * measured, the heap stayed at four times its size a minute later. So once the input has been quiet for a few seconds
 * after some activity, one full collection runs; V8 then releases the pages it no longer needs.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const defaultQuietMs = 5_000;

export class IdleCollector {
  private timer: NodeJS.Timeout | undefined;

  public constructor(
    private readonly collect: () => void = fullCollection(),
    private readonly quietMs = defaultQuietMs,
  ) {}

  /** Notes activity: a collection runs once nothing more has happened for the quiet period. */
  public touch(): void {
    if (this.timer !== undefined) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.collect();
    }, this.quietMs);
    // Waiting to collect must never keep the process alive.
    this.timer.unref();
  }

  public dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * V8's full collection, which Node exposes only under `--expose-gc`: the flag is set now and the function taken from
 * a fresh context, which is the only one that sees it, so the server needs no command-line flag (the single binary
 * and `node devmode.mjs` alike).
 */
function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
  // The flavor that also compacts and hands free pages back, as V8 does when memory runs short.
  return () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

/**
 * Named points in long operations where a crash test can kill the server, so that recovery (`devMode/reset`)
 * is tested at every step rather than at whichever step a timer happens to hit. Set `DEVMODE_FAILPOINT` to a
 * point's name; the process then dies with SIGKILL on reaching it, exactly as an editor crash would end it.
 * `onSync:duringRestart` is reached when a restart of the dev command after a sync batch has been sent to the container.
 */
export type FailpointName =
  | 'start:afterRecord'
  | 'start:afterHpa'
  | 'start:afterPark'
  | 'start:afterApply'
  | 'start:afterPodReady'
  | 'stop:afterRestore'
  | 'stop:afterHpa'
  | 'stop:afterCleanup'
  | 'onSync:duringRestart';

export function failpoint(name: FailpointName): void {
  if (process.env.DEVMODE_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}

/**
 * How protocol values read in the editor: phases, states, icons and the context-menu key of a tree node. Pure,
 * so that it is unit-tested without VS Code.
 */
import type {
  DebugAttachInfo,
  DevModeContainer,
  DevModePhase,
  DevModeSession,
  PortForward,
  SyncState,
  Target,
  TreeNodeAction,
} from '@devmode/protocol';

const phaseLabels: Record<DevModePhase, string> = {
  loadConfig: 'Reading the dev config',
  replaceImage: 'Replacing the image',
  restartPod: 'Restarting the pod',
  waitPod: 'Waiting for the dev pod',
  portForward: 'Forwarding ports',
  sync: 'Syncing files',
  terminal: 'Ready',
  restoreWorkload: 'Restoring the workload',
};

export function phaseLabel(phase: DevModePhase): string {
  return phaseLabels[phase] ?? phase;
}

/** The text of a progress notification: the phase, then the server's message, whichever are present. */
export function progressMessage(message: string | undefined, phase: DevModePhase | undefined): string | undefined {
  if (phase === undefined) return message;
  if (message === undefined || message === '') return phaseLabel(phase);
  return `${phaseLabel(phase)}: ${message}`;
}

/**
 * The `contextValue` of a tree node: its actions between bars (`|startDevMode|openLogs|`), so that each menu
 * entry's `when` clause offers exactly the node's actions.
 */
export function contextValue(actions: readonly TreeNodeAction[]): string {
  return actions.length === 0 ? '|' : `|${actions.join('|')}|`;
}

/** `ratings-7d9f-x2x/ratings`: a pod and, when known, its container, as a terminal or log channel is named. */
export function podLabel(pod: string, container?: string): string {
  return container !== undefined && container !== '' ? `${pod}/${container}` : pod;
}

/** `deployment/ratings`, as kubectl names a workload. */
export function workloadLabel(target: Target): string {
  return `${target.kind.toLowerCase()}/${target.name}`;
}

/** The workload and, when the target names one, the container: `deployment/ratings (web)`. */
export function targetLabel(target: Target): string {
  const name = workloadLabel(target);
  return target.container !== undefined ? `${name} (${target.container})` : name;
}

export function sessionDescription(session: DevModeSession, phase?: DevModePhase): string {
  const parts: string[] = [session.state];
  if (session.state === 'starting' && phase !== undefined) parts.push(phaseLabel(phase));
  if (session.mode === 'duplicate') parts.push('duplicate');
  if (!session.mine && session.owner !== undefined) parts.push(`by ${session.owner}`);
  if (session.stale !== undefined)
    parts.push(`${session.stale.heartbeat ? 'silent since' : 'no heartbeat since'} ${session.stale.since}`);
  return parts.join(' · ');
}

export function portForwardLabel(forward: PortForward): string {
  return `${forward.address}:${forward.localPort} → ${forward.remotePort}`;
}

export function portForwardDescription(forward: PortForward): string {
  const parts: string[] = [forward.state];
  if (forward.pod !== undefined) parts.push(forward.pod);
  if (forward.error !== undefined) parts.push(forward.error);
  return parts.join(' · ');
}

const syncIcons: Record<SyncState, string> = {
  idle: '$(check)',
  scanning: '$(search)',
  syncing: '$(sync~spin)',
  paused: '$(debug-pause)',
  disconnected: '$(debug-disconnect)',
  error: '$(error)',
};

/** The status bar text of a session's sync: its state and, while files wait, how many. */
export function syncStatusText(state: SyncState, pendingFiles: number, problems: number): string {
  const pending = pendingFiles > 0 ? ` ${pendingFiles} pending` : '';
  const trouble = problems > 0 ? ` · ${problems} problem${problems === 1 ? '' : 's'}` : '';
  return `${syncIcons[state] ?? ''} DevMode sync: ${state}${pending}${trouble}`;
}

/** `node debugger :40123`: which debugger a dev command runs under, and the local port it is reached on. */
export function debugLabel(debug: DebugAttachInfo): string {
  return `${debug.kind} debugger :${debug.localPort}`;
}

/**
 * One container's row in the Sessions view: its sync state (with pending files), its forwards other than the
 * debugger's, and its debugger. `syncing, 3 pending · 127.0.0.1:18080→8080 · node debugger :40123`.
 */
export function containerDescription(container: DevModeContainer): string {
  const parts: string[] = [];
  const { sync, debug } = container;
  if (sync === undefined) parts.push('no sync');
  else parts.push(sync.pendingFiles > 0 ? `${sync.state}, ${sync.pendingFiles} pending` : sync.state);
  const forwards = container.portForwards
    .filter((forward) => debug === undefined || forward.localPort !== debug.localPort)
    .map((forward) => `${forward.address}:${forward.localPort}→${forward.remotePort}`);
  if (forwards.length > 0) parts.push(forwards.join(', '));
  if (debug !== undefined) parts.push(debugLabel(debug));
  return parts.join(' · ');
}

/**
 * The VS Code debug configuration that attaches to a dev command started with `debug` in its dev config, from the
 * session's attach info. Pure, so that it is unit-tested without VS Code: each kind maps to the attach request of
 * the debugger extension that speaks its protocol.
 */
import type { DebugAttachInfo, DevModeContainer, DevModeSession } from '@devmode/protocol';
import { workloadLabel } from './labels';

/** A dev command running under a debugger, named as the person reads it: `deployment/web (web)`. */
export interface Debuggee {
  debug: DebugAttachInfo;
  name: string;
}

/** One container's dev command, when it runs under a debugger. */
export function containerDebuggee(session: DevModeSession, container: DevModeContainer): Debuggee | undefined {
  if (container.debug === undefined) return undefined;
  return { debug: container.debug, name: `${workloadLabel(session.target)} (${container.container})` };
}

/**
 * The dev commands of `sessions` that run under a debugger: each container whose dev config asks for `debug`, else
 * (while the containers are not known yet) the session's own debug info.
 */
export function debuggees(sessions: readonly DevModeSession[]): Debuggee[] {
  return sessions.flatMap((session) => {
    const found = (session.containers ?? []).flatMap((container) => containerDebuggee(session, container) ?? []);
    if (found.length > 0 || session.debug === undefined) return found;
    return [{ debug: session.debug, name: workloadLabel(session.target) }];
  });
}

/** A debug configuration as `vscode.debug.startDebugging` takes it. */
export interface AttachConfiguration {
  type: string;
  request: 'attach';
  name: string;
  [attribute: string]: unknown;
}

/**
 * The attach configuration for `debug`, named `name`; `undefined` for `custom`, whose debugger is the dev command's
 * own: the person attaches their debugger to the address `attachAddress` gives.
 */
export function attachConfiguration(debug: DebugAttachInfo, name: string): AttachConfiguration | undefined {
  const { address, localPort: port, localRoot, remoteRoot } = debug;
  switch (debug.kind) {
    case 'node':
      // js-debug, built into VS Code, speaks the inspector protocol.
      return {
        type: 'node',
        request: 'attach',
        name,
        address,
        port,
        localRoot,
        remoteRoot,
        skipFiles: ['<node_internals>/**'],
      };
    case 'python':
      // The Python Debugger extension (debugpy).
      return {
        type: 'debugpy',
        request: 'attach',
        name,
        connect: { host: address, port },
        pathMappings: [{ localRoot, remoteRoot }],
        justMyCode: false,
      };
    case 'java':
      // The Debugger for Java extension (JDWP).
      return { type: 'java', request: 'attach', name, hostName: address, port, sourcePaths: [localRoot] };
    case 'go':
      // The Go extension, against a headless Delve server in the container.
      return {
        type: 'go',
        request: 'attach',
        mode: 'remote',
        name,
        host: address,
        port,
        substitutePath: [{ from: localRoot, to: remoteRoot }],
      };
    default:
      return undefined;
  }
}

/** What to tell a person who attaches a debugger by hand: where it listens and how paths map. */
export function attachAddress(debug: DebugAttachInfo): string {
  return `${debug.address}:${debug.localPort} (port ${debug.remotePort} in the container; ${debug.remoteRoot} there is ${debug.localRoot} here)`;
}

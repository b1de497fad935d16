import type { SyncSessions } from './sync/sessions.js';

/**
 * The engine's way to tell the person about things that happen outside any request: a sync that lost its
 * connection, a workload changed by someone else, a session ended elsewhere, background work with its progress.
 * The connection turns these into `window/showMessage` and server-created `$/progress`; the engine never knows
 * about the wire.
 */

export type UserMessageSeverity = 'error' | 'warning' | 'info';

/** Background work the person can watch and, when it says so, cancel. */
export interface BackgroundWork {
  /**
   * Resolves once the client is ready to show the work (it accepted the progress token, or cannot show it): a
   * cancel the client sent before that has already been handled.
   */
  started: Promise<void>;
  report(message: string, percentage?: number): void;
  /** Ends the work; reports after this are ignored. */
  done(message?: string): void;
}

export interface UserEvents {
  /** A message the person should see now. */
  show(severity: UserMessageSeverity, message: string): void;
  /**
   * Starts reporting background work. With `cancel`, the client may cancel it (the work then calls `done`);
   * without, it runs to its end.
   */
  work(title: string, cancel?: () => void): BackgroundWork;
}

/** For engines driven without a client (unit tests, the CLI's in-process server before it is wired). */
export const silentUserEvents: UserEvents = {
  show: () => undefined,
  work: () => ({ started: Promise.resolve(), report: () => undefined, done: () => undefined }),
};

/** Tells the person when a session's file sync loses its connection to the container, once per loss. */
export function tellSyncDisconnects(syncs: SyncSessions, events: UserEvents): () => void {
  const connected = new Map<string, boolean>();
  return syncs.onDidChangeState((sessionId, change, container) => {
    const key = `${sessionId}/${container ?? ''}`;
    const wasConnected = connected.get(key) ?? true;
    const isConnected = change.state !== 'disconnected';
    connected.set(key, isConnected);
    if (wasConnected && !isConnected) {
      events.show(
        'warning',
        `File sync of DevMode session ${sessionId}${container !== undefined ? ` (container ${container})` : ''} lost its connection to the container` +
          `${change.message !== undefined ? `: ${change.message}` : ''}. Changes are kept and sent once it reconnects.`,
      );
    }
  });
}

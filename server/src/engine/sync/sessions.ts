/**
 * The sync sessions of the server, by DevMode session id. DevMode registers a session once its sync has started;
 * the `sync/*` handlers look sessions up here, and state changes of every registered session reach one listener.
 */
import type { SyncSession, SyncStateChange } from './session.js';

export class SyncSessions {
  private readonly sessions = new Map<string, { session: SyncSession; unsubscribe: () => void }>();
  private readonly listeners = new Set<(sessionId: string, change: SyncStateChange) => void>();

  public add(sessionId: string, session: SyncSession): void {
    this.remove(sessionId);
    const unsubscribe = session.onDidChangeState((change) => {
      for (const listener of this.listeners) listener(sessionId, change);
    });
    this.sessions.set(sessionId, { session, unsubscribe });
  }

  /** Forgets the session (it is not stopped: its owner does that). */
  public remove(sessionId: string): void {
    this.sessions.get(sessionId)?.unsubscribe();
    this.sessions.delete(sessionId);
  }

  /** Tells the listeners about a change that does not come from the sync itself (an onSync run). */
  public announce(sessionId: string, change: SyncStateChange): void {
    if (!this.sessions.has(sessionId)) return;
    for (const listener of this.listeners) listener(sessionId, change);
  }

  public get(sessionId: string): SyncSession | undefined {
    return this.sessions.get(sessionId)?.session;
  }

  public ids(): string[] {
    return [...this.sessions.keys()];
  }

  public onDidChangeState(listener: (sessionId: string, change: SyncStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops every registered session, e.g. on shutdown. */
  public async stopAll(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const { unsubscribe } of sessions) unsubscribe();
    await Promise.all(sessions.map(({ session }) => session.stop()));
  }
}

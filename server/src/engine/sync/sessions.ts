/**
 * The sync sessions of the server, by DevMode session id and container: a session with several containers in
 * DevMode has one sync per container that has a sync folder. DevMode registers a sync once it has started; the
 * `sync/*` handlers look syncs up here, and state changes of every registered sync reach one listener.
 */
import type { SyncSession, SyncStateChange } from './session.js';

type Listener = (sessionId: string, change: SyncStateChange, container: string | undefined) => void;

interface Entry {
  sessionId: string;
  container: string | undefined;
  session: SyncSession;
  unsubscribe: () => void;
}

export class SyncSessions {
  private readonly sessions = new Map<string, Entry>();
  private readonly listeners = new Set<Listener>();

  /** Registers the sync of a DevMode session, into one of its containers when it has several. */
  public add(sessionId: string, session: SyncSession, container?: string): void {
    this.remove(sessionId, container);
    const unsubscribe = session.onDidChangeState((change) => {
      for (const listener of this.listeners) listener(sessionId, change, container);
    });
    this.sessions.set(keyOf(sessionId, container), { sessionId, container, session, unsubscribe });
  }

  /** Forgets a sync (it is not stopped: its owner does that). */
  public remove(sessionId: string, container?: string): void {
    const key = keyOf(sessionId, container);
    this.sessions.get(key)?.unsubscribe();
    this.sessions.delete(key);
  }

  public get(sessionId: string, container?: string): SyncSession | undefined {
    return this.sessions.get(keyOf(sessionId, container))?.session;
  }

  /** The DevMode sessions that have a sync registered. */
  public ids(): string[] {
    return [...new Set([...this.sessions.values()].map((entry) => entry.sessionId))];
  }

  public onDidChangeState(listener: Listener): () => void {
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

function keyOf(sessionId: string, container: string | undefined): string {
  return container === undefined ? sessionId : `${sessionId}\n${container}`;
}

/**
 * The Sessions / Port Forwards view: every DevMode session and port-forward with its state, kept current by
 * `devMode/didChangeState` and `portForward/didChangeState` (read in full with `devMode/list` and
 * `portForward/list` when a server starts).
 */
import * as vscode from 'vscode';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import {
  DidChangeDevModeStateNotification,
  DidChangePortForwardStateNotification,
  ListDevModeSessionsRequest,
  ListPortForwardsRequest,
  type DevModePhase,
  type DevModeSession,
  type PortForward,
  type Target,
} from '@devmode/protocol';
import { portForwardDescription, portForwardLabel, sessionDescription, targetLabel, workloadLabel } from './labels';

export type SessionItem =
  | { group: 'sessions' | 'portForwards' }
  | { session: DevModeSession; phase?: DevModePhase }
  | { portForward: PortForward };

/** One key per workload, so that a session seen in the cluster and the same session of this server merge. */
export function targetKey(target: Target): string {
  return [target.context ?? '', target.namespace, target.kind, target.name].join('/');
}

export class SessionsView implements vscode.TreeDataProvider<SessionItem> {
  private readonly changed = new vscode.EventEmitter<SessionItem | undefined>();
  public readonly onDidChangeTreeData = this.changed.event;
  private readonly sessions = new Map<string, { session: DevModeSession; phase?: DevModePhase }>();
  private readonly portForwards = new Map<string, PortForward>();
  private readonly groups = {
    sessions: { group: 'sessions' as const },
    portForwards: { group: 'portForwards' as const },
  };

  public register(connection: MessageConnection): void {
    this.sessions.clear();
    this.portForwards.clear();
    connection.onNotification(DidChangeDevModeStateNotification.type, (change) => {
      const key = targetKey(change.target);
      const known = this.sessions.get(key)?.session;
      if (change.state === 'stopped') this.sessions.delete(key);
      else {
        const session: DevModeSession = {
          mode: 'replace',
          mine: true,
          ...known,
          target: change.target,
          state: change.state,
          ...(change.sessionId !== undefined ? { sessionId: change.sessionId } : {}),
        };
        this.sessions.set(key, { session, ...(change.phase !== undefined ? { phase: change.phase } : {}) });
      }
      this.changed.fire(undefined);
    });
    connection.onNotification(DidChangePortForwardStateNotification.type, (change) => {
      const known = this.portForwards.get(change.id);
      if (change.state === 'stopped') this.portForwards.delete(change.id);
      else if (known === undefined) {
        // A forward started by a session: its address and ports come with the list.
        this.reload(connection).catch(() => undefined);
        return;
      } else {
        const { error: _error, ...rest } = known;
        this.portForwards.set(change.id, {
          ...rest,
          state: change.state,
          ...(change.pod !== undefined ? { pod: change.pod } : {}),
          ...(change.error !== undefined ? { error: change.error } : {}),
        });
      }
      this.changed.fire(undefined);
    });
    this.reload(connection).catch(() => {
      // The server went away while listing; the next server reads everything again.
    });
  }

  private async reload(connection: MessageConnection): Promise<void> {
    const [{ sessions }, { forwards }] = await Promise.all([
      connection.sendRequest(ListDevModeSessionsRequest.type, {}),
      connection.sendRequest(ListPortForwardsRequest.type, {}),
    ]);
    this.portForwards.clear();
    for (const session of sessions) this.sessions.set(targetKey(session.target), { session });
    for (const forward of forwards) this.portForwards.set(forward.id, forward);
    this.changed.fire(undefined);
  }

  /** Records what a request answered, so the view does not wait for the notification. */
  public upsertSession(session: DevModeSession): void {
    this.sessions.set(targetKey(session.target), { session });
    this.changed.fire(undefined);
  }

  public upsertPortForward(forward: PortForward): void {
    if (forward.state === 'stopped') this.portForwards.delete(forward.id);
    else this.portForwards.set(forward.id, forward);
    this.changed.fire(undefined);
  }

  public allSessions(): DevModeSession[] {
    return [...this.sessions.values()].map(({ session }) => session);
  }

  public allPortForwards(): PortForward[] {
    return [...this.portForwards.values()];
  }

  public sessionFor(target: Target): DevModeSession | undefined {
    return this.sessions.get(targetKey(target))?.session;
  }

  public getTreeItem(item: SessionItem): vscode.TreeItem {
    if ('group' in item) {
      const label = item.group === 'sessions' ? 'DevMode sessions' : 'Port forwards';
      const count = item.group === 'sessions' ? this.sessions.size : this.portForwards.size;
      const row = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Expanded);
      row.id = item.group;
      row.description = String(count);
      return row;
    }
    if ('session' in item) {
      const { session } = item;
      const row = new vscode.TreeItem(workloadLabel(session.target), vscode.TreeItemCollapsibleState.None);
      row.id = `session/${targetKey(session.target)}`;
      row.description = sessionDescription(session, item.phase);
      row.tooltip = [
        `${targetLabel(session.target)} in ${session.target.namespace}`,
        session.pod !== undefined ? `pod ${session.pod}` : undefined,
        session.localDir !== undefined ? `syncing ${session.localDir}` : undefined,
        session.stale?.hint,
      ]
        .filter((line) => line !== undefined)
        .join('\n');
      row.contextValue = session.mine ? 'session-mine' : 'session-other';
      const icon =
        session.state === 'running'
          ? 'tools'
          : session.state === 'failed'
            ? 'error'
            : session.state === 'stale'
              ? 'warning'
              : 'sync~spin';
      row.iconPath = new vscode.ThemeIcon(icon);
      return row;
    }
    const forward = item.portForward;
    const row = new vscode.TreeItem(portForwardLabel(forward), vscode.TreeItemCollapsibleState.None);
    row.id = `portForward/${forward.id}`;
    row.description = portForwardDescription(forward);
    row.contextValue = `portForward-${forward.state}`;
    row.iconPath = new vscode.ThemeIcon(forward.state === 'active' ? 'plug' : 'debug-disconnect');
    return row;
  }

  public getChildren(item?: SessionItem): SessionItem[] {
    if (item === undefined) return [this.groups.sessions, this.groups.portForwards];
    if (!('group' in item)) return [];
    if (item.group === 'sessions') return [...this.sessions.values()];
    return [...this.portForwards.values()].map((portForward) => ({ portForward }));
  }
}

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
  type DevModeContainer,
  type DevModePhase,
  type DevModeSession,
  type DidChangeSyncStateParams,
  type PortForward,
  type Target,
} from '@devmode/protocol';
import {
  containerDescription,
  portForwardDescription,
  portForwardLabel,
  sessionDescription,
  targetLabel,
  workloadLabel,
} from './labels';

/** A row of the view. A container's row carries its session, so session commands work on it too. */
export type SessionItem =
  | { group: 'sessions' | 'portForwards' }
  | { session: DevModeSession; phase?: DevModePhase }
  | { session: DevModeSession; container: DevModeContainer }
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

  /** Keeps a container row's sync state current, from the `sync/didChangeState` the sync status bar receives. */
  public updateSync(change: DidChangeSyncStateParams): void {
    for (const { session } of this.sessions.values()) {
      if (session.sessionId !== change.sessionId) continue;
      const container =
        session.containers?.find((candidate) => candidate.container === change.container) ?? session.containers?.[0];
      if (container?.sync === undefined) return;
      container.sync = { ...container.sync, state: change.state, pendingFiles: change.pendingFiles };
      this.changed.fire(undefined);
      return;
    }
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
    if ('container' in item) {
      const { session, container } = item;
      const row = new vscode.TreeItem(container.container, vscode.TreeItemCollapsibleState.None);
      row.id = `container/${targetKey(session.target)}/${container.container}`;
      row.description = containerDescription(container);
      row.tooltip = [
        `container ${container.container}, working in ${container.workDir}`,
        container.localDir !== undefined ? `syncing ${container.localDir}` : 'syncing nothing',
        container.debug !== undefined
          ? `${container.debug.kind} debugger on ${container.debug.address}:${container.debug.localPort}`
          : undefined,
      ]
        .filter((line) => line !== undefined)
        .join('\n');
      row.contextValue = `container-${session.mine ? 'mine' : 'other'}${container.debug !== undefined ? '-debug' : ''}`;
      row.iconPath = new vscode.ThemeIcon(container.debug !== undefined ? 'debug-alt' : 'package');
      return row;
    }
    if ('session' in item) {
      const { session } = item;
      const expandable = (session.containers?.length ?? 0) > 0;
      const row = new vscode.TreeItem(
        workloadLabel(session.target),
        expandable ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
      );
      // A session's row becomes expandable when its containers are known; a new id makes VS Code show it expanded.
      row.id = `session/${targetKey(session.target)}${expandable ? '/containers' : ''}`;
      row.description = sessionDescription(session, item.phase);
      row.tooltip = [
        `${targetLabel(session.target)} in ${session.target.namespace}`,
        session.pod !== undefined ? `pod ${session.pod}` : undefined,
        session.localDir !== undefined ? `syncing ${session.localDir}` : undefined,
        session.stale?.hint,
      ]
        .filter((line) => line !== undefined)
        .join('\n');
      row.contextValue = `session-${session.mine ? 'mine' : 'other'}${session.debug !== undefined ? '-debug' : ''}`;
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
    if ('session' in item && !('container' in item))
      return (item.session.containers ?? []).map((container) => ({ session: item.session, container }));
    if (!('group' in item)) return [];
    if (item.group === 'sessions') return [...this.sessions.values()];
    return [...this.portForwards.values()].map((portForward) => ({ portForward }));
  }
}

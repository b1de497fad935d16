import { describe, expect, it } from 'vitest';
import type { DevModeSession, PortForward } from '@devmode/protocol';
import {
  containerDescription,
  contextValue,
  podLabel,
  portForwardDescription,
  portForwardLabel,
  progressMessage,
  sessionDescription,
  syncStatusText,
  targetLabel,
} from './labels';

describe('contextValue', () => {
  it('puts each action between bars so a menu matches exactly one action name', () => {
    expect(contextValue(['startDevMode', 'openLogs'])).toBe('|startDevMode|openLogs|');
    expect(contextValue([])).toBe('|');
    // `stopDevMode` must not match a menu entry looking for `|startDevMode|`, nor `openLogs` one for `|openLog|`.
    expect(/\|startDevMode\|/.test(contextValue(['stopDevMode']))).toBe(false);
  });
});

describe('progressMessage', () => {
  it('shows the structured phase, then the message', () => {
    expect(progressMessage('pod ratings-1 is ready', 'waitPod')).toBe(
      'Waiting for the dev pod: pod ratings-1 is ready',
    );
    expect(progressMessage(undefined, 'sync')).toBe('Syncing files');
    expect(progressMessage('plain', undefined)).toBe('plain');
    expect(progressMessage(undefined, undefined)).toBeUndefined();
  });
});

describe('targetLabel and sessions', () => {
  const session: DevModeSession = {
    target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
    state: 'starting',
    mode: 'duplicate',
    mine: false,
    owner: 'ana@laptop',
  };

  it('names workloads as kubectl does', () => {
    expect(targetLabel(session.target)).toBe('deployment/ratings');
    expect(targetLabel({ ...session.target, container: 'web' })).toBe('deployment/ratings (web)');
  });

  it('describes a session by state, phase, mode and owner', () => {
    expect(sessionDescription(session, 'restartPod')).toBe('starting · Restarting the pod · duplicate · by ana@laptop');
    expect(sessionDescription({ ...session, state: 'running', mode: 'replace', mine: true }, 'sync')).toBe('running');
  });

  it('says who left a stale session and since when', () => {
    const stale = {
      user: 'ana',
      machine: 'laptop',
      since: '2026-01-12T09:30:00.000Z',
      heartbeat: true,
      thresholdSeconds: 60,
      hint: 'devMode/reset restores the workload.',
    };
    expect(sessionDescription({ ...session, state: 'stale', mode: 'replace', stale })).toBe(
      'stale · by ana@laptop · silent since 2026-01-12T09:30:00.000Z',
    );
    expect(
      sessionDescription({ ...session, state: 'stale', mode: 'replace', stale: { ...stale, heartbeat: false } }),
    ).toBe('stale · by ana@laptop · no heartbeat since 2026-01-12T09:30:00.000Z');
  });
});

describe('port-forwards', () => {
  const forward: PortForward = {
    id: 'pf-1',
    target: { namespace: 'default', kind: 'Deployment', name: 'ratings' },
    address: '127.0.0.1',
    localPort: 18080,
    remotePort: 9080,
    state: 'reconnecting',
    pod: 'ratings-abc',
    error: 'pod deleted',
  };

  it('shows the local address, the remote port and why it is not active', () => {
    expect(portForwardLabel(forward)).toBe('127.0.0.1:18080 → 9080');
    expect(portForwardDescription(forward)).toBe('reconnecting · ratings-abc · pod deleted');
  });
});

describe('syncStatusText', () => {
  it('shows the state, the pending count and the problems', () => {
    expect(syncStatusText('idle', 0, 0)).toBe('$(check) DevMode sync: idle');
    expect(syncStatusText('syncing', 3, 1)).toBe('$(sync~spin) DevMode sync: syncing 3 pending · 1 problem');
    expect(syncStatusText('error', 0, 2)).toBe('$(error) DevMode sync: error · 2 problems');
  });
});

describe('podLabel', () => {
  it('names a terminal after the pod and container terminal/open picked, or the pod alone', () => {
    expect(podLabel('ratings-7d9f4-x2x8q', 'ratings')).toBe('ratings-7d9f4-x2x8q/ratings');
    expect(podLabel('ratings-7d9f4-x2x8q')).toBe('ratings-7d9f4-x2x8q');
    expect(podLabel('ratings-7d9f4-x2x8q', '')).toBe('ratings-7d9f4-x2x8q');
  });
});

describe('containerDescription', () => {
  it('shows the sync state with pending files, the forwards and the debugger of one container', () => {
    expect(
      containerDescription({
        container: 'worker',
        workDir: '/srv/worker',
        sync: {
          sessionId: 's-1',
          container: 'worker',
          state: 'syncing',
          localDir: '/w',
          remoteDir: '/srv/worker',
          mode: 'send',
          pendingFiles: 3,
          errors: [],
          conflicts: [],
        },
        portForwards: [
          {
            id: 'pf-1',
            target: { namespace: 'd', pod: 'p' },
            address: '127.0.0.1',
            localPort: 18080,
            remotePort: 8080,
            state: 'active',
          },
        ],
        debug: {
          kind: 'node',
          address: '127.0.0.1',
          localPort: 40123,
          remotePort: 9229,
          remoteRoot: '/srv/worker',
          localRoot: '/w',
        },
      }),
    ).toBe('syncing, 3 pending · 127.0.0.1:18080→8080 · node debugger :40123');
  });

  it('says when a container syncs nothing', () => {
    expect(containerDescription({ container: 'metrics', workDir: '/home/devmode', portForwards: [] })).toBe('no sync');
  });
});

describe('containerDescription and the debugger forward', () => {
  it('names the debug port once, as the debugger, not also as a forward', () => {
    expect(
      containerDescription({
        container: 'web',
        workDir: '/app',
        portForwards: [
          {
            id: 'pf-2',
            target: { namespace: 'd', pod: 'p' },
            address: '127.0.0.1',
            localPort: 40123,
            remotePort: 9229,
            state: 'active',
          },
        ],
        debug: {
          kind: 'python',
          address: '127.0.0.1',
          localPort: 40123,
          remotePort: 9229,
          remoteRoot: '/app',
          localRoot: '/w',
        },
      }),
    ).toBe('no sync · python debugger :40123');
  });
});

import { describe, expect, it } from 'vitest';
import type { DebugAttachInfo, DebugKind } from '@devmode/protocol';
import { attachAddress, attachConfiguration, debuggees } from './debugAttach';

function info(kind: DebugKind): DebugAttachInfo {
  return {
    kind,
    address: '127.0.0.1',
    localPort: 40123,
    remotePort: 9229,
    remoteRoot: '/app',
    localRoot: '/home/dev/web',
  };
}

describe('attachConfiguration', () => {
  it('attaches js-debug to the forwarded inspector, mapping the synced folder', () => {
    expect(attachConfiguration(info('node'), 'ratings (web)')).toEqual({
      type: 'node',
      request: 'attach',
      name: 'ratings (web)',
      address: '127.0.0.1',
      port: 40123,
      localRoot: '/home/dev/web',
      remoteRoot: '/app',
      skipFiles: ['<node_internals>/**'],
    });
  });

  it('attaches debugpy with a path mapping', () => {
    expect(attachConfiguration(info('python'), 'n')).toEqual({
      type: 'debugpy',
      request: 'attach',
      name: 'n',
      connect: { host: '127.0.0.1', port: 40123 },
      pathMappings: [{ localRoot: '/home/dev/web', remoteRoot: '/app' }],
      justMyCode: false,
    });
  });

  it('attaches the Java debugger to JDWP on the forward', () => {
    expect(attachConfiguration(info('java'), 'n')).toEqual({
      type: 'java',
      request: 'attach',
      name: 'n',
      hostName: '127.0.0.1',
      port: 40123,
      sourcePaths: ['/home/dev/web'],
    });
  });

  it('attaches the Go debugger to a remote Delve, substituting the remote folder', () => {
    expect(attachConfiguration(info('go'), 'n')).toEqual({
      type: 'go',
      request: 'attach',
      mode: 'remote',
      name: 'n',
      host: '127.0.0.1',
      port: 40123,
      substitutePath: [{ from: '/home/dev/web', to: '/app' }],
    });
  });

  it('has no configuration for a custom debugger, whose address is shown instead', () => {
    expect(attachConfiguration(info('custom'), 'n')).toBeUndefined();
    expect(attachAddress(info('custom'))).toBe(
      '127.0.0.1:40123 (port 9229 in the container; /app there is /home/dev/web here)',
    );
  });
});

describe('debuggees', () => {
  const target = { namespace: 'shop', kind: 'Deployment' as const, name: 'web', container: 'web' };
  const session = {
    sessionId: 's-1',
    target,
    state: 'running' as const,
    mode: 'replace' as const,
    mine: true,
    debug: info('node'),
    containers: [
      { container: 'web', workDir: '/app', portForwards: [], debug: info('node') },
      { container: 'metrics', workDir: '/home/devmode', portForwards: [] },
      { container: 'jobs', workDir: '/srv', portForwards: [], debug: info('java') },
    ],
  };

  it('lists each container under a debugger, named after the workload and the container', () => {
    expect(debuggees([session]).map(({ name, debug }) => `${name}: ${debug.kind}`)).toEqual([
      'deployment/web (web): node',
      'deployment/web (jobs): java',
    ]);
  });

  it("falls back to the session's debug info while its containers are not known", () => {
    const { containers: _containers, ...starting } = session;
    expect(debuggees([starting]).map(({ name }) => name)).toEqual(['deployment/web']);
    expect(debuggees([{ ...starting, debug: undefined }])).toEqual([]);
  });
});

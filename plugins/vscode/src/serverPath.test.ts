import { describe, expect, it } from 'vitest';
import { resolveServerPath, restartDelayMs, ServerNotFoundError } from './serverPath';

const inputs = (executables: string[], setting = '') => ({
  setting,
  extensionPath: '/ext',
  pathVariable: '/usr/local/bin:/usr/bin',
  isExecutable: (path: string) => executables.includes(path),
});

describe('resolveServerPath', () => {
  it('uses the devmode.serverPath setting before anything else', () => {
    expect(resolveServerPath(inputs(['/opt/devmode', '/ext/dist/devmode'], '/opt/devmode'))).toEqual({
      path: '/opt/devmode',
      source: 'setting',
    });
  });

  it('fails with the setting named when it points at nothing executable', () => {
    expect(() => resolveServerPath(inputs(['/ext/dist/devmode'], '/nope/devmode'))).toThrow(
      /devmode\.serverPath setting names \/nope\/devmode/,
    );
  });

  it('uses the binary shipped in the extension when the setting is empty', () => {
    expect(resolveServerPath(inputs(['/ext/dist/devmode', '/usr/bin/devmode'], '  '))).toEqual({
      path: '/ext/dist/devmode',
      source: 'bundled',
    });
  });

  it('falls back to the first devmode on PATH', () => {
    expect(resolveServerPath(inputs(['/usr/bin/devmode']))).toEqual({ path: '/usr/bin/devmode', source: 'PATH' });
  });

  it('says how to fix it when no server is found', () => {
    expect(() => resolveServerPath(inputs([]))).toThrow(ServerNotFoundError);
    expect(() => resolveServerPath(inputs([]))).toThrow(/Set devmode\.serverPath/);
  });
});

describe('restartDelayMs', () => {
  it('doubles from one second and stops at thirty', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map(restartDelayMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});

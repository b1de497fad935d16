import { describe, expect, test } from 'vitest';
import { parseImageName, resolveImage } from './images.js';
import { findTools, SandboxUnavailableError, userNamespaceBlockers } from './sandbox.js';

describe('sandbox prerequisites', () => {
  test('finds the util-linux tools pods are made with, and can create their namespaces here', () => {
    const tools = findTools();
    expect(tools.unshare).toMatch(/\/unshare$/);
    expect(tools.nsenter).toMatch(/\/nsenter$/);
    expect(tools.setpriv).toMatch(/\/setpriv$/);
    expect(tools.rootless).toBe(process.getuid?.() !== 0);
  });

  test('a machine without util-linux gets a clear error saying what to install', () => {
    expect(() => findTools('/nonexistent')).toThrow(SandboxUnavailableError);
    expect(() => findTools('/nonexistent')).toThrow(
      'unshare (util-linux) is not installed; the sandbox makes pods with it. Install util-linux.',
    );
  });

  test('the kernel settings that keep unprivileged user namespaces off are named', () => {
    const settings: Record<string, string> = {
      '/proc/sys/kernel/unprivileged_userns_clone': '0',
      '/proc/sys/user/max_user_namespaces': '0',
      '/proc/sys/kernel/apparmor_restrict_unprivileged_userns': '1',
    };
    expect(userNamespaceBlockers((path) => settings[path])).toEqual([
      'kernel.unprivileged_userns_clone is 0 (set it to 1)',
      'user.max_user_namespaces is 0 (set it to, e.g., 15000)',
      'kernel.apparmor_restrict_unprivileged_userns is 1 (set it to 0)',
    ]);
    expect(userNamespaceBlockers(() => undefined)).toEqual([]);
    expect(userNamespaceBlockers(() => '1')).toEqual([
      'kernel.apparmor_restrict_unprivileged_userns is 1 (set it to 0)',
    ]);
  });
});

describe('images', () => {
  test('registry prefixes, library/, tags and digests do not change the repository', () => {
    expect(parseImageName('docker.io/library/busybox:1.36')).toEqual({ repository: 'busybox', tag: '1.36' });
    expect(parseImageName('devmode/ratings')).toEqual({ repository: 'devmode/ratings', tag: 'latest' });
    expect(parseImageName('python@sha256:abc')).toEqual({ repository: 'python', tag: 'sha256:abc' });
    expect(parseImageName('localhost:5000/app:v1')).toEqual({ repository: 'localhost:5000/app', tag: 'v1' });
  });

  test('local image directories and host-mapped public names resolve; anything else is not found', () => {
    const ratings = resolveImage('docker.io/devmode/ratings:2');
    expect(ratings.config.cmd).toEqual(['node', '/app/ratings.cjs']);
    expect(ratings.rootfs).toMatch(/images\/devmode\/ratings\/rootfs$/);
    expect(resolveImage('devmode/dev').config.workingDir).toBe('/home/devmode');
    expect(resolveImage('node:22-alpine').config.cmd).toEqual(['node']);
    expect(resolveImage('ubuntu:24.04').rootfs).toBeUndefined();
    expect(() => resolveImage('nginx')).toThrow('failed to resolve reference "nginx": nginx:latest: not found');
    expect(() => resolveImage('../../etc')).toThrow('not found');
  });
});

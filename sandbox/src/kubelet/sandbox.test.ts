import { describe, expect, test } from 'vitest';
import { parseImageName, resolveImage } from './images.js';
import { findTools, SandboxUnavailableError } from './sandbox.js';

describe('sandbox prerequisites', () => {
  test('finds bubblewrap and nsenter on this machine', () => {
    const tools = findTools();
    expect(tools.bwrap).toMatch(/\/bwrap$/);
    expect(tools.nsenter).toMatch(/\/nsenter$/);
  });

  test('a machine without bubblewrap gets a clear error saying what to install', () => {
    expect(() => findTools('/nonexistent')).toThrow(SandboxUnavailableError);
    expect(() => findTools('/nonexistent')).toThrow(
      'bubblewrap (bwrap) is not installed; the sandbox runs pods with it. Install it (e.g. `apt-get install bubblewrap`).',
    );
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
    expect(ratings.config.cmd).toEqual(['python3', '/app/ratings.py']);
    expect(ratings.rootfs).toMatch(/images\/devmode\/ratings\/rootfs$/);
    expect(resolveImage('devmode/dev').config.workingDir).toBe('/home/devmode');
    expect(resolveImage('node:22-alpine').config.cmd).toEqual(['node']);
    expect(resolveImage('ubuntu:24.04').rootfs).toBeUndefined();
    expect(() => resolveImage('nginx')).toThrow('failed to resolve reference "nginx": nginx:latest: not found');
    expect(() => resolveImage('../../etc')).toThrow('not found');
  });
});

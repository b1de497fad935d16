/**
 * Stands in for the pty package's `requireBinary.js` in the bundle (build/buildBinary.mjs redirects it here).
 * @lydell/node-pty (node-pty with prebuilt addons from the registry, so installing compiles nothing) finds its
 * addon with `require('@lydell/node-pty-<platform>-<arch>/pty.node')`, which a bundle cannot resolve and a single
 * executable cannot load at all; the addon is an asset of the bundle instead.
 */
import type { IPty } from '@lydell/node-pty';
import { loadNativeAddon } from './locations.js';

/** The package's `requireBinary`, answering from the bundle's assets. */
export function requireBinary(file: string): unknown {
  return loadNativeAddon(file.replace(/\.node$/, ''));
}

/** Writes bytes to a pty as they are; the package's typings only name strings, but its write passes Buffers on. */
export function writeToPty(term: IPty, data: Buffer): void {
  (term.write as (data: string | Buffer) => void).call(term, data);
}

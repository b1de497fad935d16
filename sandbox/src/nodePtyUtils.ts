/**
 * Stands in for node-pty's `lib/utils.js` in the bundle (build/buildBinary.mjs redirects it here). node-pty finds
 * its addon with `require('../build/Release/pty.node')`, which a bundle cannot resolve and a single executable
 * cannot load at all; the addon is an asset of the bundle instead.
 */
import { loadNativeAddon } from './locations.js';

/** node-pty's own `assign`: copies every key of the sources onto the target. */
export function assign<T extends object>(target: T, ...sources: object[]): T {
  for (const source of sources) Object.assign(target, source);
  return target;
}

/** node-pty's `loadNativeModule`, answering from the bundle's assets. `dir` only matters on macOS. */
export function loadNativeModule(name: string): { dir: string; module: unknown } {
  return { dir: '.', module: loadNativeAddon(name) };
}

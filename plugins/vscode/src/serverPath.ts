/**
 * Where the extension finds the devmode server: the `devmode.serverPath` setting, then the binary shipped inside
 * the extension, then `devmode` on PATH. Pure, so that the order is unit-tested without VS Code.
 */
import { delimiter, join } from 'node:path';

export interface ServerPathInputs {
  /** The `devmode.serverPath` setting; empty when unset. */
  setting: string;
  /** The extension's install folder. */
  extensionPath: string;
  /** The PATH environment variable. */
  pathVariable: string;
  /** Whether a file exists and is executable. */
  isExecutable(path: string): boolean;
}

export interface ResolvedServerPath {
  path: string;
  source: 'setting' | 'bundled' | 'PATH';
}

export class ServerNotFoundError extends Error {}

export function resolveServerPath(inputs: ServerPathInputs): ResolvedServerPath {
  const setting = inputs.setting.trim();
  if (setting !== '') {
    if (!inputs.isExecutable(setting)) {
      throw new ServerNotFoundError(
        `The devmode.serverPath setting names ${setting}, which is not an executable file: fix the setting or clear it to use the bundled server.`,
      );
    }
    return { path: setting, source: 'setting' };
  }
  const bundled = join(inputs.extensionPath, 'dist', 'devmode');
  if (inputs.isExecutable(bundled)) return { path: bundled, source: 'bundled' };
  for (const dir of inputs.pathVariable.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'devmode');
    if (inputs.isExecutable(candidate)) return { path: candidate, source: 'PATH' };
  }
  throw new ServerNotFoundError(
    'No devmode server found: this extension build carries none for this platform and `devmode` is not on PATH. Set devmode.serverPath to the devmode binary.',
  );
}

/** The delays between restarts of a server that keeps dying: doubling from one second, at most thirty. */
export function restartDelayMs(failuresInARow: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, failuresInARow - 1));
}

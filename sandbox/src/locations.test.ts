import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { defaultImagesDir, helperArgv, isBundled, isSingleExecutable } from './locations.js';

describe('locations from the source tree', () => {
  test('is neither the bundle nor the single executable', () => {
    expect(isBundled()).toBe(false);
    expect(isSingleExecutable()).toBe(false);
  });

  test('images are read from sandbox/images', () => {
    const dir = defaultImagesDir();
    expect(dir.endsWith(join('sandbox', 'images') + '/')).toBe(true);
    expect(existsSync(join(dir, 'devmode', 'ratings', 'image.json'))).toBe(true);
  });

  test('helpers run as node -e <source> with their arguments', () => {
    expect(helperArgv('relay', 'console.log(1)', ['/tmp/a.sock'])).toEqual([
      process.execPath,
      '-e',
      'console.log(1)',
      '/tmp/a.sock',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { chooseFolder } from './folders';

describe('chooseFolder', () => {
  it('syncs the only workspace folder', () => {
    expect(chooseFolder(['/src/web'], [])).toEqual({ folder: '/src/web' });
  });

  it('syncs the one folder of a multi-root workspace that holds a devmode.yaml', () => {
    expect(chooseFolder(['/src/web', '/src/api'], ['/src/api'])).toEqual({ folder: '/src/api' });
  });

  it('asks when several folders qualify, dev-config folders first', () => {
    expect(chooseFolder(['/a', '/b', '/c'], ['/c', '/b'])).toEqual({ ask: ['/c', '/b', '/a'] });
    expect(chooseFolder(['/a', '/b'], [])).toEqual({ ask: ['/a', '/b'] });
  });

  it('keeps the remembered choice while that folder is still open', () => {
    expect(chooseFolder(['/a', '/b'], ['/a', '/b'], '/b')).toEqual({ folder: '/b' });
    expect(chooseFolder(['/a', '/b'], ['/a', '/b'], '/gone')).toEqual({ ask: ['/a', '/b'] });
  });

  it('has nothing to offer without a workspace folder', () => {
    expect(chooseFolder([], [])).toEqual({ ask: [] });
  });
});

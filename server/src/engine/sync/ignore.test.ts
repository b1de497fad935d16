import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { IgnoreRules } from './ignore.js';
import { removeTempDirs, tempDir } from './testkit.js';

afterAll(removeTempDirs);

function project(files: Record<string, string>): string {
  const root = tempDir('ignore');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('ignore rules', () => {
  test('.git and node_modules are left out unless included', () => {
    const root = project({});
    const rules = new IgnoreRules(root, { ignore: [], include: [], useGitignore: true });
    expect(rules.isIgnored('.git', true)).toBe(true);
    expect(rules.isIgnored('node_modules/pkg/index.js', false)).toBe(true);
    expect(rules.isIgnored('packages/a/node_modules', true)).toBe(true);
    expect(rules.isIgnored('src/index.js', false)).toBe(false);

    const including = new IgnoreRules(root, { ignore: [], include: ['node_modules/keep'], useGitignore: true });
    expect(including.isIgnored('node_modules', true)).toBe(true);
    expect(including.mayHoldIncluded('node_modules')).toBe(true);
    expect(including.isIgnored('node_modules/keep/index.js', false)).toBe(false);
    expect(including.isIgnored('node_modules/other/index.js', false)).toBe(true);
  });

  test('nested .gitignore files apply below their folder, deeper ones overriding', () => {
    const root = project({
      '.gitignore': '*.log\nbuild/\n',
      'pkg/.gitignore': '!keep.log\nlocal.txt\n',
    });
    const rules = new IgnoreRules(root, { ignore: [], include: [], useGitignore: true });
    expect(rules.isIgnored('debug.log', false)).toBe(true);
    expect(rules.isIgnored('pkg/keep.log', false)).toBe(false);
    expect(rules.isIgnored('pkg/other.log', false)).toBe(true);
    expect(rules.isIgnored('pkg/local.txt', false)).toBe(true);
    expect(rules.isIgnored('local.txt', false)).toBe(false);
    expect(rules.isIgnored('build', true)).toBe(true);
    expect(rules.isIgnored('build', false)).toBe(false);

    const without = new IgnoreRules(root, { ignore: ['*.tmp'], include: [], useGitignore: false });
    expect(without.isIgnored('debug.log', false)).toBe(false);
    expect(without.isIgnored('x.tmp', false)).toBe(true);
  });

  test('include wins over sync.ignore and .gitignore', () => {
    const root = project({ '.gitignore': 'dist/\n' });
    const rules = new IgnoreRules(root, {
      ignore: ['*.env'],
      include: ['dist/app.js', 'prod.env'],
      useGitignore: true,
    });
    expect(rules.isIgnored('dist/app.js', false)).toBe(false);
    expect(rules.isIgnored('dist/other.js', false)).toBe(true);
    expect(rules.isIgnored('prod.env', false)).toBe(false);
    expect(rules.isIgnored('dev.env', false)).toBe(true);
  });
});

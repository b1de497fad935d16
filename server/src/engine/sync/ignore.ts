/**
 * Which local paths are synced: `.git` and `node_modules` never, unless included; `sync.ignore` patterns; every
 * `.gitignore` on the way (when enabled), deeper files overriding shallower ones as git does; and `sync.include`,
 * which wins over all of them. Patterns use gitignore syntax.
 */
import { readFileSync } from 'node:fs';
import ignoreModule, { type Ignore } from 'ignore';
import { absoluteBytes, displayPath, joinRel, parentRel, type RelPath } from './paths.js';

export interface IgnoreConfig {
  ignore: string[];
  include: string[];
  useGitignore: boolean;
}

// The package is CommonJS; its `default` property is the factory whichever way it is loaded.
const ignore = (ignoreModule as unknown as { default: () => Ignore }).default;

const ALWAYS_IGNORED = ['.git', 'node_modules'];
const GLOB = /[*?[\\]/;

function matches(rules: Ignore, path: string): { ignored: boolean; unignored: boolean } {
  try {
    return rules.test(path);
  } catch {
    // A name the matcher cannot parse matches no rule.
    return { ignored: false, unignored: false };
  }
}

export class IgnoreRules {
  private readonly base: Ignore;
  private readonly include: Ignore;
  /** Literal directory prefixes of anchored include patterns, so that ignored folders holding them are still read. */
  private readonly includePrefixes: string[];
  private readonly gitignores = new Map<RelPath, Ignore | null>();

  public constructor(
    private readonly root: string,
    private readonly config: IgnoreConfig,
  ) {
    this.base = ignore().add([...ALWAYS_IGNORED, ...config.ignore]);
    this.include = ignore().add(config.include);
    this.includePrefixes = config.include
      .map((pattern) => pattern.replace(/^\//, ''))
      .filter((pattern) => pattern.includes('/'))
      .map((pattern) => {
        const glob = pattern.search(GLOB);
        return glob < 0 ? pattern : pattern.slice(0, glob);
      });
  }

  /** Whether `rel` (a directory when `isDir`) is left out of the sync. */
  public isIgnored(rel: RelPath, isDir: boolean): boolean {
    const text = displayPath(rel) + (isDir ? '/' : '');
    if (matches(this.include, text).ignored) return false;
    if (matches(this.base, text).ignored) return true;
    if (!this.config.useGitignore) return false;
    let ignored = false;
    const parts = rel.split('/');
    let dir: RelPath = '';
    for (let depth = 0; depth < parts.length; depth++) {
      const rules = this.gitignoreOf(dir);
      if (rules !== null) {
        const relative = displayPath(parts.slice(depth).join('/')) + (isDir ? '/' : '');
        const result = matches(rules, relative);
        if (result.ignored) ignored = true;
        else if (result.unignored) ignored = false;
      }
      dir = joinRel(dir, parts[depth]!);
    }
    return ignored;
  }

  /** Whether an ignored directory must still be read because an include pattern reaches inside it. */
  public mayHoldIncluded(dir: RelPath): boolean {
    const text = `${displayPath(dir)}/`;
    return this.includePrefixes.some((prefix) => prefix.startsWith(text) || text.startsWith(prefix));
  }

  /** Drops every cached `.gitignore`, so that the next check reads them again. */
  public forgetAll(): void {
    this.gitignores.clear();
  }

  /** Drops the cached `.gitignore` of `dir`, after it changed. */
  public forget(gitignorePath: RelPath): void {
    this.gitignores.delete(parentRel(gitignorePath));
  }

  /** Paths always pruned from the container's listing (fixed names, no globs). */
  public prunedNames(): RelPath[] {
    return [...ALWAYS_IGNORED, ...this.config.ignore]
      .map((pattern) => pattern.replace(/^\/|\/$/g, ''))
      .filter((name) => name !== '' && !GLOB.test(name) && !name.startsWith('!') && !name.includes('/'))
      .filter((name) => !this.config.include.some((pattern) => pattern.replace(/^\//, '').startsWith(name)));
  }

  private gitignoreOf(dir: RelPath): Ignore | null {
    let rules: Ignore | null | undefined = this.gitignores.get(dir);
    if (rules === undefined) {
      rules = null;
      try {
        const text = readFileSync(absoluteBytes(this.root, joinRel(dir, '.gitignore')), 'utf8');
        rules = ignore().add(text);
      } catch {
        // No readable .gitignore here.
      }
      this.gitignores.set(dir, rules);
    }
    return rules;
  }
}

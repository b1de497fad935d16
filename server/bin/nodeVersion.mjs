// The Node version check of the npm bin, in its own module so that it can be tested on any Node.
export const NEEDED_MAJOR = 24;

/** Why devmode cannot run on this Node, or undefined when it can. */
export function nodeVersionProblem(version = process.versions.node, execPath = process.execPath) {
  if (Number(version.split('.')[0]) >= NEEDED_MAJOR) return undefined;
  return (
    `devmode needs Node ${NEEDED_MAJOR} or later; this is Node ${version} (${execPath}).\n` +
    'Run it with the Node the project brings: `npx devmode ...` (or `npm run demo`) in the devmode folder after ' +
    '`npm ci`, or use the single executable (`npm run build` makes dist/devmode), which needs no Node at all.\n'
  );
}

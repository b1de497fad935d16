/**
 * The dev container's command as DevMode runs it, as pure functions: the configured command, started with a
 * debugger where `debug` asks for one, and wrapped in a small `sh` supervisor when an `onSync` rule restarts it.
 *
 * The supervisor runs the command as its child and, on SIGHUP, stops the child with everything it started and
 * starts it again; the pod, its volumes and the synced files stay. It needs nothing but `sh` (and `/proc`, to find
 * the child's descendants). The command reaches it as arguments ("$@"), never as shell text. It writes its pid and
 * a generation number (one more per start) to a control folder, so that a restart can signal it and wait until the
 * command runs again. When the command exits by itself, the supervisor stays and starts it again on the next
 * restart, so a crash of the program does not crash the container.
 */
import { posix } from 'node:path';
import type { DebugConfig, EffectiveDevConfig } from './devConfig.js';
import { EngineError } from './engineError.js';

/** Where the supervisor keeps its pid and generation, in the dev container. */
export const supervisorControlDir = '/tmp/.devmode-supervisor';

/** The supervisor's `$0`, which names it in `ps` output. */
export const supervisorName = 'devmode-supervisor';

/** How long the supervisor waits for the command to stop after SIGTERM before it sends SIGKILL, in tenths of a second. */
const stopWaitTenths = 50;

export const supervisorScript = `dir=${supervisorControlDir}
mkdir -p "$dir" 2>/dev/null && echo $$ > "$dir/pid"
gen=0
child=
restart=
tree() { for c in $(cat /proc/$1/task/*/children 2>/dev/null); do tree "$c"; done; echo "$1"; }
stop_child() {
  [ -n "$child" ] || return 0
  pids=$(tree "$child")
  kill -TERM $pids 2>/dev/null
  n=0
  while kill -0 "$child" 2>/dev/null && [ $n -lt ${stopWaitTenths} ]; do sleep 0.1; n=$((n+1)); done
  kill -KILL $pids 2>/dev/null
  wait "$child" 2>/dev/null
  child=
}
trap 'restart=1' HUP
trap 'stop_child; exit 0' TERM INT
while :; do
  restart=
  "$@" &
  child=$!
  gen=$((gen+1))
  echo "$gen" > "$dir/generation" 2>/dev/null
  while [ -z "$restart" ]; do
    if [ -n "$child" ]; then
      wait "$child"; code=$?
      if [ -z "$restart" ] && ! kill -0 "$child" 2>/dev/null; then
        echo "devmode: the dev command exited with code $code; it starts again after the next sync" >&2
        child=
      fi
    else
      sleep 1 & wait $!
    fi
  done
  stop_child
done`;

/**
 * Restarts the supervised command and waits (up to a minute) until it runs again. Exit codes: 0 restarted,
 * 3 no supervisor answers (the dev pod was started without one), 4 the command did not start again in time.
 */
export const restartScript = `dir=${supervisorControlDir}
pid=$(cat "$dir/pid" 2>/dev/null) || { echo "devmode: no supervisor runs in this container" >&2; exit 3; }
before=$(cat "$dir/generation" 2>/dev/null)
kill -HUP "$pid" 2>/dev/null || { echo "devmode: the supervisor (pid $pid) is gone" >&2; exit 3; }
n=0
while [ "$(cat "$dir/generation" 2>/dev/null)" = "$before" ]; do
  n=$((n+1))
  [ $n -le 600 ] || { echo "devmode: the dev command did not start again within 60 seconds" >&2; exit 4; }
  sleep 0.1
done
echo "devmode: the dev command was restarted"`;

/** The argv that restarts the supervised dev command. */
export function restartCommand(): string[] {
  return ['sh', '-c', restartScript, 'devmode-restart'];
}

/** The argv that runs `argv` in `workDir` (both passed as arguments, never as shell text). */
export function inWorkDir(workDir: string, argv: string[]): string[] {
  return ['sh', '-c', 'cd "$1" && shift && exec "$@"', 'devmode-on-sync', workDir, ...argv];
}

/** True when some `onSync` rule restarts the dev command, which then runs under the supervisor. */
export function needsSupervisor(config: Pick<EffectiveDevConfig, 'onSync'>): boolean {
  return config.onSync.some((rule) => 'restart' in rule);
}

/** The dev container's command and the variables added for it. */
export interface DevCommand {
  command: string[];
  env: Record<string, string>;
}

/** The command and environment of the dev container: debugger first, then the supervisor around it. */
export function devCommand(config: Pick<EffectiveDevConfig, 'command' | 'env' | 'onSync' | 'debug'>): DevCommand {
  const launched = config.debug === undefined ? { command: [...config.command], env: {} } : withDebugger(config);
  if (!needsSupervisor(config)) return launched;
  return {
    command: ['/bin/sh', '-c', escapeReferences(supervisorScript), supervisorName, ...launched.command],
    env: launched.env,
  };
}

/**
 * A container's command goes through Kubernetes' variable expansion: `$(NAME)` becomes the variable's value and
 * `$$` becomes `$`. Doubling every `$` makes the script reach the shell exactly as written.
 */
export function escapeReferences(text: string): string {
  return text.replaceAll('$', '$$$$');
}

/** The jdwp agent option that makes a JVM listen for a debugger without waiting for one. */
export function jdwpOption(port: number): string {
  return `-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:${port}`;
}

/**
 * Starts the command with the debugger of `debug.kind` listening on all of the pod's addresses (the port-forward
 * reaches it through the pod's network namespace, as it reaches any other port).
 */
function withDebugger(config: Pick<EffectiveDevConfig, 'command' | 'env' | 'debug'>): DevCommand {
  const { port, kind } = config.debug as DebugConfig;
  const [program = '', ...rest] = config.command;
  const name = posix.basename(program);
  const appended = (variable: string, option: string): Record<string, string> => {
    const existing = config.env[variable];
    return { [variable]: existing === undefined || existing === '' ? option : `${existing} ${option}` };
  };
  switch (kind) {
    case 'node':
      // On node's own command line the inspector is the program's alone; through NODE_OPTIONS every node process
      // started by the command (npm, a shell script) would try to take the port, so that is the fallback.
      if (name === 'node' || name === 'nodejs') {
        return { command: [program, `--inspect=0.0.0.0:${port}`, ...rest], env: {} };
      }
      return { command: [...config.command], env: appended('NODE_OPTIONS', `--inspect=0.0.0.0:${port}`) };
    case 'python':
      if (!/^python[0-9.]*$/.test(name)) {
        throw debugCommandError(kind, 'a command that starts with python (e.g. ["python", "app.py"])');
      }
      return { command: [program, '-m', 'debugpy', '--listen', `0.0.0.0:${port}`, ...rest], env: {} };
    case 'java':
      return { command: [...config.command], env: appended('JAVA_TOOL_OPTIONS', jdwpOption(port)) };
    case 'go': {
      if (name === 'dlv') return { command: [...config.command], env: {} };
      const delve = ['--headless', `--listen=:${port}`, '--api-version=2', '--accept-multiclient', '--continue'];
      if (name === 'go' && rest[0] === 'run') {
        const [, target = '.', ...args] = rest;
        return { command: ['dlv', 'debug', target, ...delve, ...(args.length > 0 ? ['--', ...args] : [])], env: {} };
      }
      return { command: ['dlv', 'exec', program, ...delve, ...(rest.length > 0 ? ['--', ...rest] : [])], env: {} };
    }
    case 'custom':
      return { command: [...config.command], env: {} };
  }
}

function debugCommandError(kind: string, needed: string): EngineError {
  return new EngineError('DevConfigInvalid', `debug.kind ${kind} needs ${needed} to start the debugger in`, {
    field: 'debug.kind',
    hint: `Set command to ${needed}, or use debug.kind custom with a command that starts its own debugger.`,
  });
}

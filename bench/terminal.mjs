// Terminal figures through devmode (terminal/* over stdio) next to the real `kubectl exec -it`, both against the
// same sandbox pod in the same run: the time to a first prompt and the echo latency of one keystroke.
import { createRequire } from 'node:module';
import { median, report } from './lib.mjs';
import { elapsedMs, startDevmode, startSandbox } from './streamsLib.mjs';

const runs = Number(process.env.BENCH_RUNS ?? 20);
const keystrokes = Math.max(20, runs * 2);
// The pty package (@lydell/node-pty) is a dependency of the server workspace.
const pty = createRequire(new URL('../server/package.json', import.meta.url))('@lydell/node-pty');

const podManifest = `apiVersion: v1
kind: Pod
metadata: {name: shell}
spec:
  containers:
  - {name: main, image: devmode/dev, command: [sleep, infinity]}
`;

/**
 * What a terminal printed so far, and a wait for it to print something that resolves as the output arrives:
 * no polling, which would either blur the figures or, spinning, take a core from the processes being measured.
 */
function outputLog() {
  let text = '';
  let waiter;
  return {
    text: () => text,
    append(data) {
      text += data;
      waiter?.();
    },
    until(predicate, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(new Error(`no ${what} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiter = () => {
          if (!predicate(text)) return;
          waiter = undefined;
          clearTimeout(timer);
          resolve();
        };
        waiter();
      });
    },
  };
}

/** A terminal seen from outside: what it printed so far, and a way to type. */
function devmodeTerminal(devmode) {
  const output = outputLog();
  let id;
  const stop = devmode.onNotification((method, params) => {
    if (method === 'terminal/didOutput' && params.terminalId === id) output.append(params.data);
  });
  return {
    async open() {
      ({ terminalId: id } = await devmode.request('terminal/open', {
        target: { namespace: 'default', pod: 'shell' },
        cols: 80,
        rows: 24,
      }));
    },
    output,
    type: (data) => devmode.notify('terminal/input', { terminalId: id, data }),
    async close() {
      await devmode.request('terminal/close', { terminalId: id }).catch(() => undefined);
      stop();
    },
  };
}

function kubectlTerminal(sandbox) {
  const output = outputLog();
  let child;
  return {
    open() {
      child = pty.spawn('kubectl', ['--kubeconfig', sandbox.kubeconfig, 'exec', '-it', 'shell', '--', 'sh'], {
        cols: 80,
        rows: 24,
        env: sandbox.env,
      });
      child.onData((data) => output.append(data));
    },
    output,
    type: (data) => child.write(data),
    close() {
      child.kill();
    },
  };
}

const prompt = /[$#] $/;

/** Time from opening to the first prompt. */
async function firstPromptMs(terminal) {
  const started = process.hrtime.bigint();
  await terminal.open();
  await terminal.output.until((text) => prompt.test(text), 20_000, 'prompt');
  return elapsedMs(started);
}

/** Types single characters and times each one's echo. */
async function echoLatencies(terminal) {
  const latencies = [];
  for (let i = 0; i < keystrokes; i++) {
    // A fast typist's pace: keystrokes come tens of milliseconds apart, not back to back.
    await new Promise((resolve) => setTimeout(resolve, 40));
    const before = terminal.output.text().length;
    const started = process.hrtime.bigint();
    const echoed = terminal.output.until((text) => text.slice(before).includes('x'), 10_000, 'echo');
    await terminal.type('x');
    await echoed;
    latencies.push(elapsedMs(started));
    // Clear the line now and then, so that the shell never sees a long command.
    if (i % 10 === 9) {
      await terminal.type('\u0015');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return latencies;
}

export async function run() {
  console.log(`\n== terminal vs kubectl exec -it (medians; ${runs} opens, ${keystrokes} keystrokes) ==`);
  const sandbox = await startSandbox();
  let devmode;
  try {
    await sandbox.kubectl(['apply', '-f', '-'], { input: podManifest });
    await sandbox.kubectl(['wait', '--for=condition=Ready', 'pod/shell', '--timeout=120s'], { timeoutMs: 130_000 });
    devmode = await startDevmode(sandbox.env);

    const ourOpen = [];
    const theirOpen = [];
    const opens = Math.max(3, Math.round(runs / 4));
    for (let i = 0; i < opens; i++) {
      const ours = devmodeTerminal(devmode);
      ourOpen.push(await firstPromptMs(ours));
      await ours.close();
      const theirs = kubectlTerminal(sandbox);
      theirOpen.push(await firstPromptMs(theirs));
      theirs.close();
    }
    report('terminal open to first prompt', median(ourOpen), 'ms', 'kubectl exec -it', median(theirOpen));

    const ours = devmodeTerminal(devmode);
    await firstPromptMs(ours);
    const theirs = kubectlTerminal(sandbox);
    await firstPromptMs(theirs);
    const ourEcho = await echoLatencies(ours);
    const theirEcho = await echoLatencies(theirs);
    report('keystroke echo latency', median(ourEcho), 'ms', 'kubectl exec -it', median(theirEcho));
    await ours.close();
    theirs.close();
  } finally {
    await devmode?.stop();
    await sandbox.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();

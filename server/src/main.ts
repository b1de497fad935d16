import { cliUsage, isCliCommand, runCli } from './cli/commands.js';
import { createServerConnection } from './connection.js';
import { selfCommand } from './self.js';
import { serverVersion } from './version.js';

const usage = `devmode ${serverVersion}: Kubernetes DevMode from any editor

Usage:
  devmode serve --stdio          speak JSON-RPC 2.0 (LSP framing) on stdin/stdout
  devmode sandbox start|stop|status|serve [--state-dir DIR]
                                 run the local sandbox cluster
  devmode demo                   run DevMode end to end on the sandbox
  devmode --version              print the version
  devmode --help                 print this help


${cliUsage}
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (isCliCommand(command)) return runCli(argv);
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'sandbox': {
      const { sandboxCommand } = await import('@devmode/sandbox');
      return sandboxCommand(rest, selfCommand());
    }
    case 'demo': {
      const { runDemo } = await import('./demo.js');
      return runDemo(selfCommand());
    }
    case '--version':
    case 'version':
      process.stdout.write(`devmode ${serverVersion}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(usage);
      return 0;
    default:
      process.stderr.write(`devmode: unknown command '${command}'\n\n${usage}`);
      return 2;
  }
}

function serve(args: string[]): Promise<number> {
  if (!args.includes('--stdio')) {
    process.stderr.write('devmode serve: only --stdio is supported\n');
    return Promise.resolve(2);
  }
  // Stdout carries protocol messages only; anything a library prints goes to stderr instead.
  const toStderr = (...values: unknown[]): void => {
    process.stderr.write(values.map((value) => (typeof value === 'string' ? value : String(value))).join(' ') + '\n');
  };
  console.log = toStderr;
  console.info = toStderr;
  console.warn = toStderr;
  console.debug = toStderr;
  return new Promise((resolve) => {
    let exiting = false;
    const connection = createServerConnection({
      input: process.stdin,
      output: process.stdout,
      log: (line) => process.stderr.write(`[devmode] ${line}\n`),
      exit: (code) => {
        if (exiting) return;
        exiting = true;
        connection.dispose();
        resolve(code);
      },
    });
    connection.listen();
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Streams and timers of a finished command must not keep the process alive.
    setImmediate(() => process.exit(code));
  },
  (error: unknown) => {
    process.stderr.write(`devmode: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);

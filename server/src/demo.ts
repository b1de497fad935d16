import { InitializeRequest, ListClustersRequest, ShutdownRequest, ExitNotification } from '@devmode/protocol';
import { spawnServer } from './rpc/client.js';

/**
 * `devmode demo`: drives a real server over stdio the way an editor plugin does and prints what it answers.
 */
export async function runDemo(self: { command: string; args: string[] }): Promise<number> {
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  const server = spawnServer(self);
  try {
    say('Starting devmode serve --stdio and talking JSON-RPC to it, as an editor would.\n');
    const init = await server.connection.sendRequest(InitializeRequest.type, {
      clientInfo: { name: 'devmode-demo' },
      rootPath: process.cwd(),
    });
    say(`initialize → ${init.serverInfo.name} ${init.serverInfo.version}, protocol ${init.protocolVersion}`);
    say(`  methods: ${init.capabilities.methods.join(', ')}`);
    try {
      const clusters = await server.connection.sendRequest(ListClustersRequest.type, {});
      say(`cluster/list → ${clusters.contexts.length} context(s) from ${clusters.files.join(', ')}`);
      for (const context of clusters.contexts) {
        say(
          `  ${context.current ? '*' : ' '} ${context.name}  cluster=${context.cluster}  namespace=${context.namespace}`,
        );
      }
    } catch (error) {
      const data = (error as { data?: { hint?: string } }).data;
      say(`cluster/list → error: ${(error as Error).message}`);
      if (data?.hint !== undefined) say(`  hint: ${data.hint}`);
    }
    await server.connection.sendRequest(ShutdownRequest.type, undefined);
    await server.connection.sendNotification(ExitNotification.type);
    const code = await server.exited;
    say(`\nshutdown + exit → server exited with code ${code ?? 'signal'}`);
    return code === 0 ? 0 : 1;
  } finally {
    server.connection.dispose();
    server.child.kill();
  }
}

/** The sandbox: a local Kubernetes-compatible cluster whose pods are real processes isolated in Linux namespaces. */
export * from './contracts.js';
export { RESOURCES, ResourceIndex, apiVersionOf, resourceByKey, resourceByKind } from './resources.js';
export { MemoryStore, type MemoryStoreOptions, type StoreSnapshot } from './store.js';
export { applyPatch, applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.js';
export { ApiServer, SERVER_VERSION, type ApiServerOptions } from './api/server.js';
export { ensureCredentials, type Credentials } from './api/credentials.js';
export {
  runSandbox,
  sandboxPaths,
  CONTEXT_NAME,
  type RunSandboxOptions,
  type RunningSandbox,
  type SandboxInfo,
} from './daemon.js';
export { sandboxCommand, sandboxProblem, type SelfCommand } from './cli.js';

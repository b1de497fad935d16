/** File sync between a local folder and a dev container; see session.ts for the entry point. */
export { SyncAgent, AgentStartError, type RemoteEntry, type SyncProcess } from './agent.js';
export { syncAgentCommand, SYNC_AGENT_SCRIPT } from './agentScript.js';
export { LocalDirError, SyncDisconnectedError, SyncTimeoutError } from './errors.js';
export { spawnLocalProcess } from './localRemote.js';
export { UnsafePathError } from './paths.js';
export {
  SyncSession,
  type SyncConfig,
  type SyncProgress,
  type SyncSessionOptions,
  type SyncSnapshot,
  type SyncStateChange,
} from './session.js';
export { describeBytes, type TransferCounts } from './replica.js';
export { SyncSessions } from './sessions.js';
export { WatchLimitError } from './watcher.js';

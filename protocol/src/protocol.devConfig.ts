import { type integer, MessageDirection, ProtocolRequestType } from './messages.js';
import type { Target } from './protocol.devMode.js';

/**
 * Resource amounts in Kubernetes quantity notation.
 */
export interface ResourceQuantities {
  /**
   * CPU, e.g. `500m` or `2`.
   */
  cpu?: string;

  /**
   * Memory, e.g. `512Mi`.
   */
  memory?: string;
}

/**
 * The resources of the dev container, as in a container spec.
 */
export interface DevResources {
  /**
   * What the scheduler reserves for the container.
   */
  requests?: ResourceQuantities;

  /**
   * What the container may use at most.
   */
  limits?: ResourceQuantities;
}

/**
 * Whether sync only sends local changes to the container (`send`) or also brings changes made in the container
 * back to the local folder (`both`).
 */
export type SyncMode = 'send' | 'both';

/**
 * How the local folder is synced into the container, as written in a dev config.
 */
export interface DevSyncConfig {
  /**
   * The sync direction; `send` when absent.
   */
  mode?: SyncMode;

  /**
   * Gitignore-style patterns of local paths never to sync.
   */
  ignore?: string[];

  /**
   * Gitignore-style patterns of paths to sync even when `ignore` or `.gitignore` excludes them.
   */
  include?: string[];

  /**
   * True when the local `.gitignore` files also exclude paths; true when absent.
   */
  useGitignore?: boolean;

  /**
   * The local folder synced into this container, relative to the session's local folder (where `devmode.yaml`
   * is) and inside it. The target container syncs the session's local folder when absent; another container in
   * DevMode (`containers.<name>.dev`) syncs nothing unless it names a folder here.
   */
  localPath?: string;
}

/**
 * A directory of the dev container kept on a persistent volume, so its content outlives pod restarts.
 */
export interface DevPersistentDir {
  /**
   * The absolute path in the container.
   */
  path: string;

  /**
   * The size of the volume in Kubernetes quantity notation; `1Gi` when absent.
   */
  capacity?: string;

  /**
   * The StorageClass of the volume; the cluster's default when absent.
   */
  storageClass?: string;
}

/**
 * How a patch is applied to the pod template: as a strategic merge patch (containers, volumes and env merged by
 * name, as kubectl patch does), a JSON merge patch (RFC 7386) or a JSON patch (RFC 6902, paths relative to the pod
 * template).
 */
export type DevPatchType = 'strategic' | 'merge' | 'json';

/**
 * A change to the pod template beyond the fields above, applied after them.
 */
export interface DevPatch {
  /**
   * How `patch` is applied.
   */
  type: DevPatchType;

  /**
   * The patch: an object for `strategic` and `merge`, an array of operations for `json`.
   */
  patch: unknown;
}

/**
 * One environment variable, as a container spec lists it.
 */
export interface DevEnvVar {
  /**
   * The variable's name.
   */
  name: string;

  /**
   * The variable's value.
   */
  value: string;
}

/**
 * One rule of `onSync`: what runs in the dev container after a sync batch that changed a matching path lands.
 * Exactly one of `exec` and `restart` is given.
 */
export interface OnSyncRule {
  /**
   * Gitignore-style patterns of paths (relative to the local folder) that trigger the rule, e.g. `*.go` or
   * `web/**`; every batch triggers it when absent.
   */
  match?: string | string[];

  /**
   * A command to run in the dev container, as an argv array, in workDir. Its output is a log stream (`logs/open`
   * with an `onSync` target).
   */
  exec?: string[];

  /**
   * True to restart the dev command in place (the pod and the synced files stay).
   */
  restart?: boolean;
}

/**
 * The debuggers devmode knows how to start: `node` (the inspector), `python` (debugpy), `java` (JDWP), `go` (Delve),
 * or `custom` (the dev command already starts one).
 */
export type DebugKind = 'node' | 'python' | 'java' | 'go' | 'custom';

/**
 * Remote debugging: the dev command is started with a debugger listening on `port`, which is forwarded.
 */
export interface DevDebugConfig {
  /**
   * The port the debugger listens on in the container.
   */
  port: integer;

  /**
   * The debugger; how the dev command is changed to start it.
   */
  kind: DebugKind;
}

/**
 * The dev config of one container, as written in the dev config file, the workload annotation or the
 * `config` param of `devMode/start`. Every field is optional; absent fields come from the next source down.
 */
export interface DevContainerConfig {
  /**
   * Under `containers.<name>` only: true puts that container into DevMode too, in the same start as the target
   * container, with its own settings from `containers.<name>` (the top-level defaults are the target container's
   * alone). Each such container gets its own workDir volume, sync folder (`sync.localPath`) and port-forwards.
   */
  dev?: boolean;

  /**
   * The dev image that replaces the container's image.
   */
  image?: string;

  /**
   * The directory in the container that the local folder is synced into.
   */
  workDir?: string;

  /**
   * The shell a terminal runs, e.g. `/bin/bash`.
   */
  shell?: string;

  /**
   * The command the dev container runs instead of the image's, as an argv array; by default a command that
   * keeps the container idle so that the developer starts the program from a terminal.
   */
  command?: string[];

  /**
   * Environment variables added to the container: a map by name, or a list of `{name, value}` as in a
   * container spec.
   */
  env?: { [name: string]: string } | DevEnvVar[];

  /**
   * The container's resources in DevMode.
   */
  resources?: DevResources;

  /**
   * Port-forwards started with the session, each `"local:remote"` (e.g. `"8080:80"`) or a single port used on
   * both sides.
   */
  portForward?: string[];

  /**
   * How the local folder is synced.
   */
  sync?: DevSyncConfig;

  /**
   * Directories kept across pod restarts.
   */
  persistentDirs?: DevPersistentDir[];

  /**
   * Further changes to the pod template.
   */
  patches?: DevPatch[];

  /**
   * How long `devMode/start` waits for the dev pod before it gives up and restores the workload; 300 when absent.
   */
  startTimeoutSeconds?: integer;

  /**
   * What runs after each sync batch lands: one rule, or rules each with its own `match`.
   */
  onSync?: OnSyncRule | OnSyncRule[];

  /**
   * Remote debugging of the dev command.
   */
  debug?: DevDebugConfig;
}

/**
 * The dev config file (`devmode.yaml` in the local folder), the workload annotation `devmode.dev/config` and the
 * `config` param of `devMode/start` share this shape: top-level fields are the defaults of the target container,
 * and `containers.<name>` overrides them for one container.
 */
export interface DevConfig extends DevContainerConfig {
  /**
   * Per-container overrides, by container name.
   */
  containers?: { [container: string]: DevContainerConfig };
}

/**
 * The sync settings with every default filled in.
 */
export interface EffectiveSyncConfig {
  /**
   * The sync direction.
   */
  mode: SyncMode;

  /**
   * Patterns of local paths never synced.
   */
  ignore: string[];

  /**
   * Patterns of paths synced even when ignored.
   */
  include: string[];

  /**
   * Whether `.gitignore` files exclude paths.
   */
  useGitignore: boolean;

  /**
   * The local folder synced into the container, relative to the session's local folder, when the config names
   * one.
   */
  localPath?: string;
}

/**
 * A port-forward of the dev config: a local port and the container port it reaches.
 */
export interface DevPortForward {
  /**
   * The local port (127.0.0.1).
   */
  local: integer;

  /**
   * The port in the dev container.
   */
  remote: integer;
}

/**
 * The dev config of one container once every source is merged and every default filled in.
 */
export interface EffectiveDevConfig {
  /**
   * The dev image; absent when the container keeps its own image.
   */
  image?: string;

  /**
   * The directory in the container that the local folder is synced into.
   */
  workDir: string;

  /**
   * The shell a terminal runs; absent when the first of bash and sh found in the image is used.
   */
  shell?: string;

  /**
   * The command the dev container runs.
   */
  command: string[];

  /**
   * Environment variables added to the container, by name.
   */
  env: { [name: string]: string };

  /**
   * The container's resources in DevMode; absent when the original container's resources are kept.
   */
  resources?: DevResources;

  /**
   * Port-forwards started with the session.
   */
  portForward: DevPortForward[];

  /**
   * How the local folder is synced.
   */
  sync: EffectiveSyncConfig;

  /**
   * Directories kept across pod restarts.
   */
  persistentDirs: DevPersistentDir[];

  /**
   * Further changes to the pod template.
   */
  patches: DevPatch[];

  /**
   * How long `devMode/start` waits for the dev pod.
   */
  startTimeoutSeconds: integer;

  /**
   * The rules of `onSync`, in order; empty when nothing runs after a sync.
   */
  onSync: OnSyncRule[];

  /**
   * Remote debugging; absent when the dev command runs without a debugger.
   */
  debug?: DevDebugConfig;
}

/**
 * Where a value of the effective dev config came from: a built-in default, the workload's annotation, the local
 * dev config file, or the `config` param of the request. Later sources override earlier ones.
 */
export type DevConfigSource = 'default' | 'annotation' | 'file' | 'request';

/**
 * The params of `devConfig/get`.
 */
export interface GetDevConfigParams {
  /**
   * The workload and container.
   */
  target: Target;

  /**
   * The absolute path of the local folder whose dev config file is read.
   */
  localDir: string;
}

/**
 * The effective dev config of one more container that `containers.<name>.dev` puts into DevMode.
 */
export interface ContainerDevConfig {
  /**
   * The container's name.
   */
  container: string;

  /**
   * Its effective dev config (its `containers.<name>` settings and the built-in defaults).
   */
  config: EffectiveDevConfig;
}

/**
 * The result of `devConfig/get`.
 */
export interface GetDevConfigResult {
  /**
   * The container the config applies to (the target's container or the first container).
   */
  container: string;

  /**
   * The effective dev config.
   */
  config: EffectiveDevConfig;

  /**
   * The other containers the config puts into DevMode with the target container, in the pod's order; absent when
   * there are none.
   */
  devContainers?: ContainerDevConfig[];

  /**
   * Where each value came from, keyed by the field's dotted path (`image`, `sync.mode`, `env.DEBUG`).
   */
  sources: { [field: string]: DevConfigSource };

  /**
   * The dev config file that was read, when one exists.
   */
  file?: string;
}

/**
 * Returns the dev config `devMode/start` would use for a target and local folder, and where each value came from.
 * An invalid file fails with `DevConfigInvalid` locating the fault.
 *
 * @since 0.1.0
 * @errors ContextNotFound, ClusterUnreachable, Forbidden, NotFound, UnsupportedKind, LocalDirInvalid, DevConfigInvalid
 * @example
 * {
 *   "params": {"target": {"namespace": "shop", "kind": "Deployment", "name": "web"}, "localDir": "/home/dev/src/web"},
 *   "result": {
 *     "container": "web",
 *     "config": {
 *       "image": "node:22",
 *       "workDir": "/app",
 *       "shell": "/bin/bash",
 *       "command": ["sleep", "infinity"],
 *       "env": {"DEBUG": "1"},
 *       "portForward": [{"local": 8080, "remote": 8080}],
 *       "sync": {"mode": "send", "ignore": ["node_modules"], "include": [], "useGitignore": true},
 *       "persistentDirs": [],
 *       "patches": [],
 *       "startTimeoutSeconds": 300,
 *       "onSync": [{"match": "*.js", "restart": true}],
 *       "debug": {"port": 9229, "kind": "node"}
 *     },
 *     "sources": {"image": "file", "workDir": "file", "shell": "default", "command": "default", "env.DEBUG": "file", "portForward": "annotation", "sync.mode": "default"},
 *     "file": "/home/dev/src/web/devmode.yaml"
 *   }
 * }
 */
export namespace GetDevConfigRequest {
  export const method = 'devConfig/get' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<GetDevConfigParams, GetDevConfigResult>(method);
}

/**
 * The params of `devConfig/schema`: none.
 */
export type GetDevConfigSchemaParams = Record<string, never>;

/**
 * The result of `devConfig/schema`.
 */
export interface GetDevConfigSchemaResult {
  /**
   * The JSON Schema (draft 2020-12) of the dev config file, for editor validation and completion.
   */
  schema: object;
}

/**
 * Returns the JSON Schema of the dev config file.
 *
 * @since 0.1.0
 * @example
 * {
 *   "params": {},
 *   "result": {"schema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "devmode dev config", "type": "object"}}
 * }
 */
export namespace GetDevConfigSchemaRequest {
  export const method = 'devConfig/schema' as const;
  export const messageDirection: MessageDirection = MessageDirection.clientToServer;
  export const type = new ProtocolRequestType<GetDevConfigSchemaParams, GetDevConfigSchemaResult>(method);
}

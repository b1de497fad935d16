/**
 * The JSON Schema (draft 2020-12) of `devmode.yaml` and of the `devmode.dev/config` workload annotation.
 *
 * This object is both what `devConfig/schema` publishes to editors and what `parseDevConfig` enforces (through the
 * validator in jsonSchema.ts), so the two cannot drift apart. Top-level keys are defaults for the target container;
 * `containers.<name>` holds the same keys for one container and overrides them, and `containers.<name>.dev` puts
 * one more container into DevMode.
 */
import type { JsonSchema } from './jsonSchema.js';

/**
 * Size bounds. They are generous for real use (a large devmode.yaml is a few kilobytes) and keep a hostile or
 * mistaken config from costing the server seconds and hundreds of megabytes. The text of a whole source is bounded
 * before it is parsed (`maxDevConfigBytes`); the schema bounds every string, list and mapping in it.
 */
export const devConfigLimits = {
  /** The text of devmode.yaml, of the workload annotation, or the request's `config` as JSON. */
  maxDevConfigBytes: 128 * 1024,
  /** An absolute path in the container (PATH_MAX less the terminating NUL). */
  path: 4095,
  /** An image reference, a shell, a storage class. */
  name: 1024,
  /** One command argument or environment value (Linux's MAX_ARG_STRLEN). */
  argument: 131072,
  commandArguments: 1024,
  envVariables: 1024,
  envName: 256,
  resources: 64,
  portForwards: 256,
  syncPatterns: 4096,
  syncPattern: 4096,
  persistentDirs: 64,
  patches: 256,
  containers: 64,
  onSyncRules: 64,
  onSyncPatterns: 256,
} as const;

const limits = devConfigLimits;

/** One TCP port, 1 to 65535, as text without leading zeros. */
const portText = '(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})';

/** A Kubernetes resource quantity such as `500m`, `2`, `1.5Gi` or `1e3`. */
const quantityPattern = '^[0-9]+(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$';

const quantity: JsonSchema = {
  type: ['string', 'number'],
  description: 'A Kubernetes resource quantity, e.g. 500m, 2 or 512Mi.',
  pattern: quantityPattern,
  maxLength: 64,
};

const resourceList: JsonSchema = {
  type: 'object',
  description: 'Amounts by resource name (cpu, memory, ephemeral-storage, ...).',
  maxProperties: limits.resources,
  propertyNames: { type: 'string', description: 'A resource name.', maxLength: limits.name },
  additionalProperties: quantity,
};

const envName: JsonSchema = {
  type: 'string',
  description: 'An environment variable name: letters, digits, "_", "-" and ".", not starting with a digit.',
  pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$',
  maxLength: limits.envName,
};

const jsonPointer: JsonSchema = {
  type: 'string',
  description: 'A JSON pointer into the pod template, e.g. /spec/containers/0/image (empty for the whole template).',
  pattern: '^(?:/.*)?$',
  maxLength: limits.path,
};

const patchOperations: JsonSchema = {
  type: 'array',
  maxItems: limits.patches,
  description: 'RFC 6902 operations; paths are relative to the pod template.',
  items: {
    description: 'One JSON patch operation.',
    oneOf: [
      {
        type: 'object',
        description: 'An operation that needs a value.',
        additionalProperties: false,
        required: ['op', 'path', 'value'],
        properties: {
          op: { enum: ['add', 'replace', 'test'], description: 'The operation.' },
          path: jsonPointer,
          value: { description: 'The value to add, replace with or test against.' },
        },
      },
      {
        type: 'object',
        description: 'Removes the value at path.',
        additionalProperties: false,
        required: ['op', 'path'],
        properties: { op: { enum: ['remove'], description: 'The operation.' }, path: jsonPointer },
      },
      {
        type: 'object',
        description: 'Moves or copies the value at from to path.',
        additionalProperties: false,
        required: ['op', 'from', 'path'],
        properties: {
          op: { enum: ['move', 'copy'], description: 'The operation.' },
          from: jsonPointer,
          path: jsonPointer,
        },
      },
    ],
  },
};

const patch: JsonSchema = {
  description: 'A change to the pod template applied after every other dev config field.',
  oneOf: [
    {
      type: 'object',
      description: 'A strategic merge patch or a JSON merge patch of the pod template ({metadata, spec}).',
      additionalProperties: false,
      required: ['type', 'patch'],
      properties: {
        type: {
          enum: ['strategic', 'merge'],
          description:
            'strategic: lists of containers, volumes and env merge by name, volumeMounts by mountPath, ports by ' +
            'containerPort, and "$patch: delete" removes an entry; merge: RFC 7386, lists are replaced.',
        },
        patch: { type: 'object', description: 'The patch, shaped like a pod template: {metadata?, spec?}.' },
      },
    },
    {
      type: 'object',
      description: 'An RFC 6902 JSON patch of the pod template.',
      additionalProperties: false,
      required: ['type', 'patch'],
      properties: {
        type: { enum: ['json'], description: 'json: RFC 6902 operations.' },
        patch: patchOperations,
      },
    },
  ],
};

const onSyncPattern: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: limits.syncPattern,
  description: 'A gitignore-style pattern of paths relative to the local folder, e.g. *.go or web/**.',
};

const onSyncRule: JsonSchema = {
  type: 'object',
  description: 'What runs after a sync batch that changed a matching path: exec (a command) or restart: true.',
  additionalProperties: false,
  properties: {
    match: {
      description: 'The paths that trigger the rule; every batch when absent.',
      oneOf: [onSyncPattern, { type: 'array', minItems: 1, maxItems: limits.onSyncPatterns, items: onSyncPattern }],
    },
    exec: {
      type: 'array',
      minItems: 1,
      maxItems: limits.commandArguments,
      items: { type: 'string', maxLength: limits.argument, description: 'One argument.' },
      description: 'A command run in workDir as an argv array; its output is the onSync log stream.',
    },
    restart: {
      enum: [true],
      description: 'Restart the dev command in place, keeping the pod and the synced files (needs sh in the image).',
    },
  },
  oneOf: [
    { required: ['exec'], description: 'Runs a command.' },
    { required: ['restart'], description: 'Restarts the dev command.' },
  ],
};

/** The keys allowed both at the top level and under `containers.<name>`. */
const containerProperties: Record<string, JsonSchema> = {
  image: {
    type: 'string',
    minLength: 1,
    maxLength: limits.name,
    // An image reference never holds whitespace or control characters (a NUL byte would cut it short).
    pattern: '^[^\\s\\u0000-\\u001f\\u007f]+$',
    description:
      "The dev image that replaces the container's image (a reference without spaces or control characters); " +
      "the container's own image when absent.",
  },
  workDir: {
    type: 'string',
    pattern: '^/[^\\u0000]*$',
    maxLength: limits.path,
    description:
      'The absolute directory (without NUL bytes) the local folder is synced into and the dev command starts in.',
    default: '/home/devmode',
  },
  shell: {
    type: 'string',
    minLength: 1,
    maxLength: limits.name,
    description: 'The shell terminals run; the first of bash and sh found in the image when absent.',
  },
  command: {
    type: 'array',
    minItems: 1,
    maxItems: limits.commandArguments,
    items: { type: 'string', maxLength: limits.argument, description: 'One argument.' },
    description:
      'The dev container command as an argv array (the image arguments are cleared); by default a command that ' +
      'keeps the container idle and exits at once on SIGTERM.',
  },
  env: {
    description: 'Environment variables set in the dev container; they win over the container own variables.',
    oneOf: [
      {
        type: 'object',
        description: 'Variables as a mapping of name to value.',
        maxProperties: limits.envVariables,
        propertyNames: envName,
        additionalProperties: {
          type: ['string', 'number', 'boolean'],
          maxLength: limits.argument,
          description: 'The value; numbers and booleans are turned into text.',
        },
      },
      {
        type: 'array',
        description: 'Variables as a list of {name, value}.',
        maxItems: limits.envVariables,
        items: {
          type: 'object',
          description: 'One variable.',
          additionalProperties: false,
          required: ['name', 'value'],
          properties: {
            name: envName,
            value: { type: ['string', 'number', 'boolean'], maxLength: limits.argument, description: 'The value.' },
          },
        },
      },
    ],
  },
  resources: {
    type: 'object',
    description: "The dev container's resources; the container's own resources when absent.",
    additionalProperties: false,
    properties: {
      limits: { ...resourceList, description: 'What the container may use at most.' },
      requests: { ...resourceList, description: 'What the scheduler reserves for the container.' },
    },
  },
  portForward: {
    type: 'array',
    description: 'Port-forwards started with the session.',
    maxItems: limits.portForwards,
    items: {
      type: ['string', 'integer'],
      description: 'A port-forward: "local:remote" or one port used on both sides, each between 1 and 65535.',
      pattern: `^${portText}(?::${portText})?$`,
      minimum: 1,
      maximum: 65535,
    },
  },
  sync: {
    type: 'object',
    description: 'How the local folder is synced into workDir.',
    additionalProperties: false,
    properties: {
      mode: {
        enum: ['send', 'both'],
        description: 'send: local changes go to the container only; both: container changes come back too.',
        default: 'send',
      },
      ignore: {
        type: 'array',
        maxItems: limits.syncPatterns,
        items: { type: 'string', maxLength: limits.syncPattern, description: 'A gitignore-style pattern.' },
        description: 'Gitignore-style patterns of local paths never synced.',
      },
      include: {
        type: 'array',
        maxItems: limits.syncPatterns,
        items: { type: 'string', maxLength: limits.syncPattern, description: 'A gitignore-style pattern.' },
        description: 'Gitignore-style patterns synced even when ignored.',
      },
      useGitignore: {
        type: 'boolean',
        description: 'Whether .gitignore files also exclude paths.',
        default: true,
      },
      localPath: {
        type: 'string',
        minLength: 1,
        maxLength: limits.path,
        // A relative path inside the local folder: no leading "/", no NUL byte.
        pattern: '^[^/\\u0000][^\\u0000]*$',
        description:
          'The local folder synced into this container, relative to the folder of devmode.yaml and inside it; ' +
          'that folder itself for the target container when absent, nothing for another container in DevMode.',
      },
    },
  },
  persistentDirs: {
    type: 'array',
    description: 'Directories of the dev container kept on persistent volumes across sessions.',
    maxItems: limits.persistentDirs,
    items: {
      type: 'object',
      description: 'One persistent directory.',
      additionalProperties: false,
      required: ['path'],
      properties: {
        path: {
          type: 'string',
          pattern: '^/',
          maxLength: limits.path,
          description: 'The absolute path in the container.',
        },
        capacity: { ...quantity, type: 'string', description: 'The volume size, e.g. 1Gi.', default: '1Gi' },
        storageClass: {
          type: 'string',
          minLength: 1,
          maxLength: limits.name,
          description: "The volume's storage class; the cluster default when absent.",
        },
      },
    },
  },
  patches: {
    type: 'array',
    description: 'Changes to the pod template, applied in order after every other field.',
    maxItems: limits.patches,
    items: patch,
  },
  startTimeoutSeconds: {
    type: 'integer',
    minimum: 1,
    maximum: 86400,
    description: 'How long start waits for the dev pod to run before rolling back.',
    default: 300,
  },
  onSync: {
    description:
      'What runs after each sync batch lands: one rule, or a list of rules each with its own match. Batches that ' +
      'land while a rule runs are coalesced into one more run.',
    oneOf: [onSyncRule, { type: 'array', minItems: 1, maxItems: limits.onSyncRules, items: onSyncRule }],
  },
  debug: {
    type: 'object',
    description: 'Start the dev command with a debugger listening on port, and forward that port.',
    additionalProperties: false,
    required: ['port', 'kind'],
    properties: {
      port: { type: 'integer', minimum: 1, maximum: 65535, description: 'The debug port in the container.' },
      kind: {
        enum: ['node', 'python', 'java', 'go', 'custom'],
        description:
          'node: --inspect; python: debugpy; java: JDWP through JAVA_TOOL_OPTIONS; go: dlv exec; custom: the ' +
          'command as given (it starts its own debugger on port).',
      },
    },
  },
};

/** The published JSON Schema of the dev config. */
export const devConfigSchema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://devmode.dev/schemas/devmode.yaml.json',
  title: 'devmode.yaml',
  description:
    'DevMode settings. Top-level keys are defaults for the target container; containers.<name> overrides them ' +
    'for one container.',
  type: 'object',
  additionalProperties: false,
  properties: {
    ...containerProperties,
    containers: {
      type: 'object',
      description: 'Per-container settings, by container name; they override the top-level keys.',
      maxProperties: limits.containers,
      propertyNames: {
        type: 'string',
        description: 'A container name (lowercase letters, digits and "-").',
        pattern: '^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$',
        maxLength: 63,
      },
      additionalProperties: {
        type: 'object',
        description: 'The settings of one container.',
        additionalProperties: false,
        properties: {
          dev: {
            type: 'boolean',
            description:
              'True puts this container into DevMode too, in the same start as the target container, with the ' +
              'settings under this key alone (the top-level keys are the target container defaults).',
            default: false,
          },
          ...containerProperties,
        },
      },
    },
  },
};

/**
 * Which local folder a DevMode session syncs. Pure, unit-tested: the caller supplies the workspace folders, which
 * of them hold a `devmode.yaml`, and the choice remembered for the workload.
 */
export interface FolderChoice {
  /** The folder to sync, when it is clear without asking. */
  folder?: string;
  /** The folders to offer in a quick pick, when the person has to choose. */
  ask?: string[];
}

export function chooseFolder(
  folders: readonly string[],
  withDevConfig: readonly string[],
  remembered?: string,
): FolderChoice {
  if (remembered !== undefined && folders.includes(remembered)) return { folder: remembered };
  if (folders.length === 1) return { folder: folders[0] };
  if (withDevConfig.length === 1) return { folder: withDevConfig[0] };
  if (folders.length === 0) return { ask: [] };
  // Folders with a dev config first: they are the likely answers.
  return { ask: [...withDevConfig, ...folders.filter((folder) => !withDevConfig.includes(folder))] };
}

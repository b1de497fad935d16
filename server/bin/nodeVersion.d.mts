export declare const NEEDED_MAJOR: number;
/** Why devmode cannot run on this Node, or undefined when it can. */
export declare function nodeVersionProblem(version?: string, execPath?: string): string | undefined;

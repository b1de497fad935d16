/**
 * `devmode.yaml` in the editor: the errors `devConfig/get` reports (file, line, field) in the Problems panel on
 * open and save, and the JSON Schema from `devConfig/schema` handed to the YAML extension when one is installed.
 */
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-jsonrpc/node';
import {
  DevModeErrorCodes,
  GetDevConfigRequest,
  GetDevConfigSchemaRequest,
  type DevModeErrorData,
  type Target,
} from '@devmode/protocol';
import type { DevModeClient } from './client';

export const devConfigFileName = 'devmode.yaml';

/** The YAML extension's API for schemas supplied by another extension. */
interface YamlExtensionApi {
  registerContributor(
    schema: string,
    requestSchema: (resource: string) => string | undefined,
    requestSchemaContent: (uri: string) => string | undefined,
  ): boolean;
}

export class DevConfigDiagnostics implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('devmode');
  private readonly disposables: vscode.Disposable[] = [];

  public constructor(
    private readonly client: DevModeClient,
    /** The workload a folder's dev config is for, as last used with DevMode. */
    private readonly targetFor: (folder: string) => Target | undefined,
  ) {
    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument((document) => void this.check(document)),
      vscode.workspace.onDidSaveTextDocument((document) => void this.check(document)),
      vscode.workspace.onDidCloseTextDocument((document) => this.diagnostics.delete(document.uri)),
    );
  }

  public checkOpenDocuments(): void {
    for (const document of vscode.workspace.textDocuments) void this.check(document);
  }

  public async check(document: vscode.TextDocument): Promise<void> {
    if (document.uri.scheme !== 'file' || basename(document.uri.fsPath) !== devConfigFileName) return;
    const localDir = dirname(document.uri.fsPath);
    const target = this.targetFor(localDir);
    if (target === undefined) return;
    const connection = await this.client.get();
    try {
      await connection.sendRequest(GetDevConfigRequest.type, { target, localDir });
      this.diagnostics.delete(document.uri);
    } catch (error) {
      if (!(error instanceof ResponseError) || error.code !== DevModeErrorCodes.DevConfigInvalid) return;
      const data = (error.data ?? {}) as DevModeErrorData;
      const line = Math.max(0, (data.line ?? 1) - 1);
      const range = line < document.lineCount ? document.lineAt(line).range : new vscode.Range(0, 0, 0, 0);
      // The server's message already names the file, line and field; the hint says what to do.
      const message = data.hint !== undefined ? `${error.message} (${data.hint})` : error.message;
      const diagnostic = new vscode.Diagnostic(range, message, vscode.DiagnosticSeverity.Error);
      diagnostic.source = 'devmode';
      if (data.field !== undefined) diagnostic.code = data.field;
      this.diagnostics.set(document.uri, [diagnostic]);
    }
  }

  /** Gives the YAML extension the dev config's schema, when that extension is installed. */
  public async contributeSchema(): Promise<void> {
    const yaml = vscode.extensions.getExtension<YamlExtensionApi>('redhat.vscode-yaml');
    if (yaml === undefined) return;
    const api = await yaml.activate();
    const connection = await this.client.get();
    const { schema } = await connection.sendRequest(GetDevConfigSchemaRequest.type, {});
    const schemaUri = 'devmode://schema/devmode.yaml';
    const content = JSON.stringify(schema);
    api.registerContributor(
      'devmode',
      (resource) => (basename(resource) === devConfigFileName ? schemaUri : undefined),
      (uri) => (uri === schemaUri ? content : undefined),
    );
  }

  public dispose(): void {
    this.diagnostics.dispose();
    for (const disposable of this.disposables) disposable.dispose();
  }
}

/**
 * The Python a run uses, as the user has it set up in VS Code: the Python extension's selected
 * environment (when ms-python.python is installed), `python.defaultInterpreterPath`, a `.venv` or
 * `venv` in the workspace folder, `python3` on PATH (the order and its reasons:
 * launcher/pythonPaths.ts). And what to offer when no spark-submit is found: choosing an
 * interpreter or the setting.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { ChosenInterpreter, chooseInterpreter, interpreterFromPythonApi, PythonExtensionApi } from '../../launcher/interpreter';

export const PYTHON_EXTENSION_ID = 'ms-python.python';

/** How long the Python extension may take to activate and answer before the next place is tried. */
const PYTHON_API_TIMEOUT_MS = 10_000;

async function pythonExtensionInterpreter(resource: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!ext) return undefined;
  const ask = (async () => {
    const api = ext.isActive ? ext.exports : await ext.activate();
    return interpreterFromPythonApi(api, resource);
  })().catch(() => undefined);
  const late = new Promise<undefined>((r) => setTimeout(() => r(undefined), PYTHON_API_TIMEOUT_MS).unref());
  return Promise.race([ask, late]);
}

/** The interpreter for a file, or undefined when there is none anywhere. */
export async function interpreterFor(resource: vscode.Uri): Promise<ChosenInterpreter | undefined> {
  const folder = vscode.workspace.getWorkspaceFolder(resource);
  const others = (vscode.workspace.workspaceFolders ?? []).filter((f) => f !== folder);
  const folders = [folder, ...others].filter((f): f is vscode.WorkspaceFolder => !!f && f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  return chooseInterpreter(
    {
      pythonExtension: await pythonExtensionInterpreter(resource),
      defaultInterpreterPath: vscode.workspace.getConfiguration('python', resource).get<string>('defaultInterpreterPath'),
      workspaceFolders: folders,
      home: os.homedir(),
      env: process.env,
      platform: process.platform,
    },
    process.env.PATH,
  );
}

export const SELECT_INTERPRETER = 'Select Interpreter';
export const OPEN_SETTINGS = 'Open Settings';

/**
 * "spark-submit not found", with the two ways out: choose an interpreter (the Python extension's
 * picker when it is installed, else the setting it would write) or set sparkSubmitPath.
 * Resolves with the action taken, for tests.
 */
export async function showSparkSubmitNotFound(message: string): Promise<string | undefined> {
  const pick = await vscode.window.showErrorMessage(message, SELECT_INTERPRETER, OPEN_SETTINGS);
  if (pick === SELECT_INTERPRETER) {
    if (vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) await vscode.commands.executeCommand('python.setInterpreter');
    else await vscode.commands.executeCommand('workbench.action.openSettings', 'python.defaultInterpreterPath');
  } else if (pick === OPEN_SETTINGS) {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'sparkObservatory.sparkSubmitPath');
  }
  return pick;
}

/**
 * Finds the interpreter of a run on the disk, in the order of pythonPaths.ts, and reads the
 * Python extension's selected environment through its API object. No `vscode` import: the
 * feature hands over the extension's exports, so unit tests drive this with a fake.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { InterpreterCandidate, interpreterCandidates, InterpreterFacts, InterpreterVia, pathOf } from './pythonPaths';

export interface ChosenInterpreter {
  readonly path: string;
  readonly via: InterpreterVia;
}

/** What a file check needs (the disk; a fake in unit tests). */
export interface Probe {
  isExecutable(file: string): boolean;
}

export const diskProbe: Probe = {
  isExecutable(file: string): boolean {
    try {
      if (!statSync(file).isFile()) return false;
      // Windows has no execute bit: a file is enough there.
      if (process.platform !== 'win32') accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
};

/** The first `name` on PATH that is an executable file (Windows: names carry their .exe). */
export function onPath(name: string, pathEnv: string | undefined, platform: string, probe: Probe = diskProbe): string | undefined {
  const p = pathOf(platform);
  for (const dir of (pathEnv ?? '').split(p.delimiter).filter(Boolean)) {
    const file = p.join(dir, name);
    if (probe.isExecutable(file)) return file;
  }
  return undefined;
}

/** The first candidate that exists: a file, or a command found on PATH. */
export function chooseInterpreter(facts: InterpreterFacts, pathEnv: string | undefined, probe: Probe = diskProbe): ChosenInterpreter | undefined {
  for (const c of interpreterCandidates(facts)) {
    const found = resolveCandidate(c, pathEnv, facts.platform, probe);
    if (found) return { path: found, via: c.via };
  }
  return undefined;
}

function resolveCandidate(c: InterpreterCandidate, pathEnv: string | undefined, platform: string, probe: Probe): string | undefined {
  if (c.onPath) return onPath(c.path, pathEnv, platform, probe);
  return probe.isExecutable(c.path) ? c.path : undefined;
}

/**
 * The parts of ms-python.python's API used here (`@vscode/python-extension`): the active
 * environment of a resource and its resolved executable; older releases only have
 * `settings.getExecutionDetails`. Every member is optional: the API changed across releases.
 */
export interface PythonExtensionApi {
  readonly ready?: Promise<void>;
  readonly environments?: {
    getActiveEnvironmentPath(resource?: unknown): { readonly id?: string; readonly path: string } | undefined;
    resolveEnvironment?(env: { readonly id?: string; readonly path: string }): Promise<{ readonly executable?: { readonly uri?: { readonly fsPath: string } } } | undefined>;
  };
  readonly settings?: { getExecutionDetails(resource?: unknown): { readonly execCommand?: readonly string[] } | undefined };
}

/**
 * The interpreter the Python extension has selected for `resource`: the resolved executable of its
 * active environment (an environment's path may be its folder, e.g. conda), else the path itself,
 * else the legacy execution details. Undefined when the API says nothing usable or fails: the
 * next place in the order is tried then.
 */
export async function interpreterFromPythonApi(api: PythonExtensionApi | undefined, resource: unknown): Promise<string | undefined> {
  if (!api) return undefined;
  try {
    await api.ready;
    const envPath = api.environments?.getActiveEnvironmentPath(resource);
    if (envPath?.path) {
      const resolved = await api.environments?.resolveEnvironment?.(envPath).catch(() => undefined);
      return resolved?.executable?.uri?.fsPath || envPath.path;
    }
    const exec = api.settings?.getExecutionDetails(resource)?.execCommand?.[0];
    return exec || undefined;
  } catch {
    return undefined;
  }
}

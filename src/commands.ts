/**
 * Every command id in one place (as error-lens does). package.json declares the same ids, and a
 * unit test checks the two lists against each other. Features talk to each other only through
 * these commands.
 */
export const enum Command {
  Refresh = 'sparkObservatory.refresh',
  AddSource = 'sparkObservatory.addSource',
  SetCredentials = 'sparkObservatory.setCredentials',
  ShowLog = 'sparkObservatory.showLog',
  OpenSparkUi = 'sparkObservatory.openSparkUi',
  CopyApplicationId = 'sparkObservatory.copyApplicationId',
  OpenDashboard = 'sparkObservatory.openDashboard',
  RunFile = 'sparkObservatory.runFile',
  RevealCachedDataset = 'sparkObservatory.revealCachedDataset',
  PickCachedDataset = 'sparkObservatory.pickCachedDataset',
  CompareRuns = 'sparkObservatory.compareRuns',
  MeasureCacheImpact = 'sparkObservatory.measureCacheImpact',
  ToggleInlineHints = 'sparkObservatory.toggleInlineHints',
  ClearInlineHints = 'sparkObservatory.clearInlineHints',
  StopApplication = 'sparkObservatory.stopApplication',
  CompareWithPreviousRun = 'sparkObservatory.compareWithPreviousRun',
  /** Internal: a History Server over the Run-File event logs is needed now (features/localHistory). */
  EnsureHistoryServer = 'sparkObservatory.ensureHistoryServer',
}

/** Commands VS Code makes for the view itself (not declared in package.json). */
export const enum BuiltinCommand {
  FocusView = 'sparkObservatory.applications.focus',
}

/** Every id of `Command`, for the unit test against package.json (a const enum has no runtime object). */
export const COMMAND_IDS: readonly string[] = [
  Command.Refresh,
  Command.AddSource,
  Command.SetCredentials,
  Command.ShowLog,
  Command.OpenSparkUi,
  Command.CopyApplicationId,
  Command.OpenDashboard,
  Command.RunFile,
  Command.RevealCachedDataset,
  Command.PickCachedDataset,
  Command.CompareRuns,
  Command.MeasureCacheImpact,
  Command.ToggleInlineHints,
  Command.ClearInlineHints,
  Command.StopApplication,
  Command.CompareWithPreviousRun,
  Command.EnsureHistoryServer,
];

export const VIEW_ID = 'sparkObservatory.applications';

/** Every command id in one place (as error-lens does); package.json declares the same ids. */
export const enum Command {
  Refresh = 'sparkObservatory.refresh',
  AddSource = 'sparkObservatory.addSource',
  SetCredentials = 'sparkObservatory.setCredentials',
  ShowLog = 'sparkObservatory.showLog',
  OpenSparkUi = 'sparkObservatory.openSparkUi',
  CopyApplicationId = 'sparkObservatory.copyApplicationId',
  FocusView = 'sparkObservatory.applications.focus',
}

export const VIEW_ID = 'sparkObservatory.applications';

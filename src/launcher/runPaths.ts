/**
 * Where Run File with Observability writes its event logs, as every feature that reads them must
 * agree: `spark.eventLog.dir` in `sparkObservatory.run.extraConf` when it is a local `file:`
 * folder (extraConf wins over our defaults on the command line), else
 * `sparkObservatory.run.eventLogDir`, else the extension's own storage.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The event-log folder of Run-File runs (absolute path). */
export function runEventLogDir(run: { readonly eventLogDir: string; readonly extraConf: Readonly<Record<string, string>> }, storagePath: string): string {
  const conf = run.extraConf['spark.eventLog.dir'] ?? '';
  if (conf.startsWith('file:')) {
    try {
      return fileURLToPath(conf);
    } catch {
      /* not a usable file URL: the setting or our default */
    }
  }
  return run.eventLogDir || join(storagePath, 'eventlog');
}

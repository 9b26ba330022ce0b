/** URLs of Spark's own UI pages, for "Open in Spark UI" and hover links. */
import type { SourceKind } from './types';

export type UiTarget =
  | { page: 'app' }
  | { page: 'executors' }
  | { page: 'job'; id: number }
  | { page: 'stage'; id: number; attempt: number }
  | { page: 'storage'; rddId: number }
  | { page: 'environment' };

/**
 * A live driver serves its pages at the root; a History Server under
 * `/history/{appId}[/{attemptId}]`; a Master has one page per application.
 */
export function sparkUiUrl(baseUrl: string, via: SourceKind, app: { id: string; attemptId?: string }, target: UiTarget): string | undefined {
  const base = baseUrl.replace(/\/+$/, '');
  let root: string;
  if (via === 'driver') root = base;
  else if (via === 'history') root = `${base}/history/${encodeURIComponent(app.id)}${app.attemptId ? `/${encodeURIComponent(app.attemptId)}` : ''}`;
  else if (via === 'master') return `${base}/app/?appId=${encodeURIComponent(app.id)}`;
  else return undefined;
  switch (target.page) {
    case 'app':
      return `${root}/jobs/`;
    case 'executors':
      return `${root}/executors/`;
    case 'job':
      return `${root}/jobs/job/?id=${target.id}`;
    case 'stage':
      return `${root}/stages/stage/?id=${target.id}&attempt=${target.attempt}`;
    case 'storage':
      return `${root}/storage/rdd/?id=${target.rddId}`;
    case 'environment':
      return `${root}/environment/`;
  }
}

/** A standalone Master's `/json`: the cluster, its workers and its applications. */
import { HttpClient } from './http';
import { asObject, isObject, Json, num, optDate, optNum, optStr, str } from './parse';
import type { MasterApplication, MasterStatus, Worker } from '../model/types';

function parseWorker(w: Json): Worker {
  const state = str(w.state);
  return {
    id: str(w.id),
    host: str(w.host),
    port: num(w.port),
    webUiAddress: optStr(w.webuiaddress),
    cores: num(w.cores),
    coresUsed: num(w.coresused),
    memoryMb: num(w.memory),
    memoryUsedMb: num(w.memoryused),
    state,
    alive: state === 'ALIVE',
  };
}

function parseMasterApp(a: Json): MasterApplication {
  return {
    id: str(a.id),
    name: str(a.name),
    cores: num(a.cores),
    memoryPerExecutorMb: optNum(a.memoryperexecutor) ?? optNum(a.memoryperslave),
    startTime: optDate(a.starttime),
    durationMs: optNum(a.duration),
    state: str(a.state),
    user: optStr(a.user),
  };
}

export function parseMasterStatus(body: unknown): MasterStatus {
  const m = asObject(body, 'master status');
  const list = (v: unknown) => (Array.isArray(v) ? v.filter(isObject) : []);
  return {
    url: str(m.url),
    status: str(m.status),
    workers: list(m.workers).map(parseWorker),
    aliveWorkers: num(m.aliveworkers),
    cores: num(m.cores),
    coresUsed: num(m.coresused),
    memoryMb: num(m.memory),
    memoryUsedMb: num(m.memoryused),
    activeApps: list(m.activeapps).map(parseMasterApp),
    completedApps: list(m.completedapps).map(parseMasterApp),
  };
}

/** True when a JSON answer is a Master's `/json` (used by kind detection). */
export function looksLikeMaster(body: unknown): boolean {
  return isObject(body) && Array.isArray(body.workers) && typeof body.url === 'string';
}

export class SparkMasterClient {
  constructor(private readonly http: HttpClient) {}
  async status(signal?: AbortSignal): Promise<MasterStatus> {
    return parseMasterStatus(await this.http.getJson('json', { signal }));
  }
}

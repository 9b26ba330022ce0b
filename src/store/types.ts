/** The store's public types: its settings, what it knows of sources and groups, what features ask of it. */
import type { HttpClient } from '../sources/http';
import type { Alert } from '../sources/prometheus';
import type { DiscoverySettings } from '../sources/discovery';
import type { AppEntry } from '../model/entries';
import type { Part } from '../model/summary';
import type { Application, MasterStatus, SourceConfig, SourceKind } from '../model/types';
import type { SourceError } from './appReads';

export interface StoreSettings {
  readonly configured: readonly (Omit<SourceConfig, 'id' | 'origin'> & { group?: string })[];
  readonly discovery: DiscoverySettings;
  readonly refreshIntervalMs: number;
  readonly statusBarIntervalMs: number;
  readonly requestTimeoutMs: number;
  readonly historyMaxApplications: number;
}

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** What the store knows of one source. `apps` and `master` are the last good answers. */
export interface SourceState {
  readonly config: SourceConfig;
  readonly group: string;
  readonly kind?: SourceKind;
  readonly status: 'pending' | 'ok' | 'error';
  readonly error?: SourceError;
  readonly lastOkAt?: number;
  readonly apps: readonly Application[];
  readonly master?: MasterStatus;
  /** Applications Prometheus has series for (e.g. drivers in Kubernetes), by application_id label. */
  readonly prometheusApps: readonly { id: string; name: string; executors: number }[];
  /** Prometheus sources: the alerts of the last good answer of /api/v1/alerts. */
  readonly alerts?: readonly Alert[];
}

export interface GroupState {
  readonly name: string;
  readonly sources: readonly SourceState[];
  readonly apps: readonly AppEntry[];
  readonly master?: MasterStatus;
}

export interface StoreDeps {
  readonly makeClient: (source: SourceConfig, timeoutMs: number) => Promise<HttpClient> | HttpClient;
  readonly log: Logger;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Folder where built-in series are saved when their application ends; none: kept in memory only. */
  readonly seriesDir?: string;
}

/** A server the extension runs itself (its own History Server): a source like a configured one, in the `local` group. */
export interface OwnSource {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly kind: SourceKind;
}

export interface WatchOptions {
  /** The lists wanted (default: all of them). */
  readonly parts?: readonly Part[];
  /**
   * Someone shows its figures as they change (inline hints, lenses in a visible editor): while
   * it runs the store polls it at the refresh interval even when the Spark view is hidden.
   */
  readonly live?: boolean;
  /**
   * Wanted only while the application is small (the status bar's counts): its driver counts at
   * most LIGHT_MAX_STORAGE_MB of storage memory. A large cluster's lists are read only when
   * someone opens them.
   */
  readonly light?: boolean;
}

/** 64 GiB of storage memory: about a hundred 1 GiB executors. */
export const LIGHT_MAX_STORAGE_MB = 65_536;


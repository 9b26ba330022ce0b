/**
 * What the dashboard webview shows, read from its frame in the workbench: each panel's chart and
 * message, for the dashboard's UI tests.
 */
import type { Frame } from 'playwright-core';
import { waitFor } from '../integration/env';

export interface PanelState {
  id: string;
  drawn: boolean;
  painted: number;
  missing: boolean;
  message: string;
}

/** Each panel of the dashboard: is its chart shown, how many canvas pixels are not transparent. */
export async function panelStates(frame: Frame): Promise<PanelState[]> {
  return frame.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('section.panel')).map((s) => {
      const box = s.querySelector('.chart-box');
      const canvas = s.querySelector('canvas');
      const drawn = !!box && !box.classList.contains('hidden') && !!canvas && canvas.width > 0 && canvas.height > 0;
      let painted = 0;
      if (drawn && canvas) {
        const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++;
      }
      return { id: s.dataset.panel ?? '', drawn, painted, missing: s.classList.contains('missing'), message: (s.querySelector('.panel-message')?.textContent ?? '').trim() };
    }),
  );
}

export const SPARK_PANELS = ['storageMemory', 'jvmHeap', 'executionMemory', 'gcShare', 'activeTasks', 'shuffleRate', 'taskRate', 'pythonRss'];

/** Waits until every Spark panel has painted a chart, and returns the panels. */
export async function waitForCharts(frame: Frame, panels = SPARK_PANELS): Promise<PanelState[]> {
  return waitFor(
    async () => {
      const ps = await panelStates(frame);
      const spark = ps.filter((p) => panels.includes(p.id));
      return spark.length === panels.length && spark.every((p) => p.drawn && p.painted > 500) ? ps : undefined;
    },
    { what: `${panels.join(', ')} painted`, timeoutMs: 90_000, intervalMs: 1000 },
  );
}

/** The dashboard's time range control and its status line. */
export const rangeOf = (frame: Frame): Promise<string> => frame.evaluate(() => (document.getElementById('range') as HTMLElement & { value: string }).value);
export const statusOf = async (frame: Frame): Promise<string> => (await frame.locator('#status').innerText()).replace(/\s+/g, ' ').trim();

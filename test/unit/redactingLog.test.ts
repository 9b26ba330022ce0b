import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import { redactingLog } from '../../src/ui/redactingLog';

test('everything written to the log has credentials redacted, errors included', () => {
  const lines: string[] = [];
  const channel = {
    name: 'Spark Observatory',
    warn: (m: string) => lines.push(`warn ${m}`),
    error: (m: unknown) => lines.push(`error ${String(m)}`),
    info: (m: string, ...rest: unknown[]) => lines.push(`info ${m} ${rest.join(' ')}`),
    show: () => lines.push('shown'),
  } as unknown as vscode.LogOutputChannel;
  const log = redactingLog(channel);
  log.warn('prod (https://alice:s3cret@spark.example/history): timed out');
  log.error(new Error('GET https://bob:pw@x.example/api?token=abc failed'));
  log.info('Authorization: Bearer abc.def', 'https://u:p@h.example');
  log.show();
  assert.equal(log.name, 'Spark Observatory');
  assert.deepEqual(lines, [
    'warn prod (https://***@spark.example/history): timed out',
    'error Error: GET https://***@x.example/api?token=*** failed',
    'info Authorization: Bearer *** https://***@h.example',
    'shown',
  ]);
});

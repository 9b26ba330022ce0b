/**
 * Credentials live in VS Code's SecretStorage, bound to the origin they were saved for.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SparkObservatoryApi } from '../../../src/extension';

describe('credentials in SecretStorage', () => {
  let api: SparkObservatoryApi;
  before(async () => {
    api = await vscode.extensions.getExtension<SparkObservatoryApi>('spark-observatory.spark-observatory')!.activate();
  });
  after(async () => {
    await api.credentials.set('it-prod', 'https://spark.example', undefined);
  });

  it('are returned for the origin they were saved for, whatever the path', async () => {
    await api.credentials.set('it-prod', 'https://spark.example/gateway/history', { type: 'basic', username: 'alice', password: 's3cret' });
    assert.deepEqual(await api.credentials.get('it-prod', 'https://spark.example/other/path'), { type: 'basic', username: 'alice', password: 's3cret' });
  });

  it('are not returned when the source now points at another origin', async () => {
    assert.equal(await api.credentials.get('it-prod', 'https://elsewhere.example/gateway/history'), undefined);
    assert.equal(await api.credentials.get('it-prod', 'http://spark.example/gateway/history'), undefined, 'scheme is part of the origin');
  });

  it('are forgotten when set to none', async () => {
    await api.credentials.set('it-prod', 'https://spark.example', undefined);
    assert.equal(await api.credentials.get('it-prod', 'https://spark.example'), undefined);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  evictableByExecution,
  executorFootprint,
  executorOverheadBytes,
  memoryModel,
  parseSparkSize,
} from '../../src/model/memoryModel';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('memoryModel: sizes', () => {
  test('parses Spark size strings with binary units, any case', () => {
    assert.equal(parseSparkSize('512m'), 512 * MiB);
    assert.equal(parseSparkSize('1g'), GiB);
    assert.equal(parseSparkSize('1G'), GiB);
    assert.equal(parseSparkSize('2048k'), 2 * MiB);
    assert.equal(parseSparkSize('1t'), 1024 * GiB);
    assert.equal(parseSparkSize('4gb'), 4 * GiB);
    assert.equal(parseSparkSize('1073741824'), GiB);
  });

  test('a unitless memory setting is MiB when the caller says so (spark.executor.memory=512)', () => {
    assert.equal(parseSparkSize('512', 'm'), 512 * MiB);
  });

  test('refuses fractions and junk, as Spark does', () => {
    assert.equal(parseSparkSize('1.5g'), undefined);
    assert.equal(parseSparkSize('lots'), undefined);
    assert.equal(parseSparkSize('12q'), undefined);
    assert.equal(parseSparkSize(undefined), undefined);
  });
});

describe('memoryModel: unified memory', () => {
  test('defaults: 1g heap → (1024 − 300) MiB × 0.6 unified, half of it the storage region', () => {
    const m = memoryModel({});
    assert.equal(m.heapBytes, GiB);
    assert.equal(m.unifiedBytes, 724 * MiB * 0.6);
    assert.equal(m.storageRegionBytes, 724 * MiB * 0.3);
    assert.equal(m.executionRegionBytes, 724 * MiB * 0.3);
    assert.equal(m.fromReportedMax, false);
  });

  test('reads executor memory and both fractions from the properties', () => {
    const m = memoryModel({ 'spark.executor.memory': '4g', 'spark.memory.fraction': '0.75', 'spark.memory.storageFraction': '0.2' });
    assert.equal(m.unifiedBytes, (4096 - 300) * MiB * 0.75);
    assert.equal(m.storageRegionBytes, (4096 - 300) * MiB * 0.75 * 0.2);
  });

  test('the driver uses spark.driver.memory', () => {
    assert.equal(memoryModel({ 'spark.driver.memory': '2g', 'spark.executor.memory': '8g' }, 'driver').heapBytes, 2 * GiB);
  });

  test('an executor\'s reported maxMemory replaces the formula (the JVM keeps a survivor space out)', () => {
    const reported = 384_093_388; // what a 1g local executor reports
    const m = memoryModel({}, 'executor', reported);
    assert.equal(m.unifiedBytes, reported);
    assert.equal(m.storageRegionBytes, reported / 2);
    assert.equal(m.fromReportedMax, true);
  });

  test('an out-of-range fraction falls back to the default', () => {
    assert.equal(memoryModel({ 'spark.memory.fraction': '1.7' }).memoryFraction, 0.6);
  });

  test('execution may evict only cached bytes above the storage region', () => {
    const m = memoryModel({}, 'executor', 400 * MiB);
    assert.equal(evictableByExecution(150 * MiB, m), 0);
    assert.equal(evictableByExecution(300 * MiB, m), 100 * MiB);
  });
});

describe('memoryModel: overhead and footprint', () => {
  test('overhead defaults to max(384 MiB, 10 % of executor memory)', () => {
    assert.equal(executorOverheadBytes({}), 384 * MiB);
    assert.equal(executorOverheadBytes({ 'spark.executor.memory': '8g' }), Math.floor(0.1 * 8 * GiB));
  });

  test('memoryOverhead (MiB when unitless) and memoryOverheadFactor are honoured', () => {
    assert.equal(executorOverheadBytes({ 'spark.executor.memoryOverhead': '1000' }), 1000 * MiB);
    assert.equal(executorOverheadBytes({ 'spark.executor.memory': '10g', 'spark.executor.memoryOverheadFactor': '0.4' }), Math.floor(0.4 * 10 * GiB));
  });

  test('a container needs heap + overhead + PySpark memory + off-heap', () => {
    const fp = executorFootprint({
      'spark.executor.memory': '4g', 'spark.executor.pyspark.memory': '1g', 'spark.memory.offHeap.enabled': 'true',
      'spark.memory.offHeap.size': String(512 * MiB), 'spark.executor.cores': '4',
    });
    assert.equal(fp.containerBytes, 4 * GiB + 384 * MiB + GiB + 512 * MiB + (Math.floor(0.1 * 4 * GiB) - 384 * MiB));
    assert.equal(fp.overheadBytes, Math.floor(0.1 * 4 * GiB));
    assert.equal(fp.cores, 4);
  });

  test('off-heap size counts only when off-heap is enabled', () => {
    assert.equal(executorFootprint({ 'spark.memory.offHeap.size': '1g' }).offHeapBytes, 0);
  });
});

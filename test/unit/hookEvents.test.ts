import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheSwitchOffOutcome, parseHookEvents } from '../../src/model/hookEvents';

const FILE = '/w/a,b/job.py';
const lines = (...events: object[]) => events.map((e) => JSON.stringify(e)).join('\n');
const ready = (disabled: object[], extra: object = {}) => ({ event: 'ready', status: 'hook active', disabled, ...extra });

describe('hookEvents: did the cache get switched off', () => {
  test('reads one event a line and leaves out a line cut short by a kill', () => {
    const text = `${lines(ready([]), { event: 'cache', line: 3 })}\n{"event": "disab`;
    assert.deepEqual(parseHookEvents(text).map((e) => e.event), ['ready', 'cache']);
    assert.deepEqual(parseHookEvents('[1]\n{"no": "event"}\nnot json\n'), []);
  });

  test('switched off: every listed call has its "disabled" event, even when it names the statement\'s other line', () => {
    const events = parseHookEvents(lines(
      ready([{ file: FILE, line: 12 }]),
      { event: 'disabled', file: FILE, line: 14, listed: { file: FILE, line: 12 } },
      { event: 'cache', file: FILE, line: 20 },
    ));
    assert.deepEqual(cacheSwitchOffOutcome(events), { ok: true, switchedOff: [{ path: FILE, line: 12 }] });
  });

  test('a listed call the run never reached: the runs would be the same job', () => {
    const events = parseHookEvents(lines(ready([{ file: FILE, line: 12 }]), { event: 'disableNotReached', file: FILE, line: 12 }));
    assert.deepEqual(cacheSwitchOffOutcome(events), {
      ok: false, message: 'the run never reached a cache call at job.py:12, so nothing was switched off: the two runs would measure the same job',
    });
  });

  test('another line switched off, the hook not started, nothing listed, no word at all', () => {
    const other = cacheSwitchOffOutcome(parseHookEvents(lines(ready([{ file: FILE, line: 12 }]), { event: 'disabled', listed: { file: '/w/job.py', line: 12 } })));
    assert.deepEqual(other, { ok: false, message: 'the hook did not report switching off the cache call at job.py:12 (did the run end before it?)' });
    assert.deepEqual(cacheSwitchOffOutcome(undefined), {
      ok: false, message: 'the hook did not start (it wrote no "ready" event), so the cache was not switched off: the two runs would measure the same job',
    });
    const failed = cacheSwitchOffOutcome(parseHookEvents(lines({ event: 'failure', kind: 'installing', error: 'ImportError: x' })));
    assert.equal(failed.ok === false && failed.message, 'the hook did not start (it wrote no "ready" event) (installing: ImportError: x), so the cache was not switched off: the two runs would measure the same job');
    const unlisted = cacheSwitchOffOutcome(parseHookEvents(lines(ready([], { inactive: { 'switching caches off': 'SO_DISABLE_CACHE_AT unreadable: bad JSON' } }))));
    assert.deepEqual(unlisted, { ok: false, message: 'the hook was given no cache call to switch off (SO_DISABLE_CACHE_AT unreadable: bad JSON)' });
  });
});

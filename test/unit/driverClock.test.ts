/**
 * Running time on the driver's clock (model/driverClock.ts): a driver whose clock is off from
 * ours shows no negative or inflated durations; the offset comes from its own listing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clockNote, driverClockOffset, runningFor } from '../../src/model/driverClock';
import { mergeEntries } from '../../src/model/entries';
import { parseApplications } from '../../src/sources/sparkRest';

const MIN = 60_000;
const ourNow = Date.UTC(2026, 10, 21, 8, 0, 0);

/** A live driver's listing, read at `ourNow`, of an application that has run 3 minutes on a clock `skew` off ours. */
function listing(skew: number, completed = false) {
  const start = ourNow + skew - 3 * MIN;
  return parseApplications([
    { id: 'app-1', name: 'skewed', attempts: [{ startTimeEpoch: start, endTimeEpoch: completed ? start + 3 * MIN : -1, duration: completed ? 3 * MIN : 3 * MIN, completed }] },
  ]);
}

describe("time on the driver's clock", () => {
  test("a live driver's running attempt carries its own running time; a finished one its duration", () => {
    assert.equal(listing(0)[0].runningForMs, 3 * MIN);
    assert.equal(listing(0)[0].durationMs, undefined);
    assert.equal(listing(0, true)[0].runningForMs, undefined);
    assert.equal(listing(0, true)[0].durationMs, 3 * MIN);
  });

  for (const skew of [10 * MIN, -10 * MIN]) {
    test(`a driver clock ${skew > 0 ? 'ahead' : 'behind'} by 10 minutes: the offset from its listing, the running time as it ran`, () => {
      const [app] = listing(skew);
      assert.equal(driverClockOffset(app, 'driver', ourNow), skew);
      // What the tree shows 30 s after the listing: 3m 30s, whatever the clocks.
      const [entry] = mergeEntries([{ id: 'd', group: 'g', kind: 'driver', failing: false, apps: [app], prometheusApps: [], listedAt: ourNow }]);
      assert.equal(entry.clockOffsetMs, skew);
      assert.deepEqual(runningFor(app.startTime, ourNow + 30_000, entry.clockOffsetMs), { ms: 3.5 * MIN });
      // Our clock alone would say 3m 30s − 10m (negative) or + 10m.
      assert.equal(ourNow + 30_000 - app.startTime!, 3.5 * MIN - skew);
      assert.match(clockNote(entry.clockOffsetMs)!, skew > 0 ? /10m 0s ahead of this machine's/ : /10m 0s behind this machine's/);
    });
  }

  test('no offset from a History Server, a finished application or an unread listing', () => {
    const [running] = listing(10 * MIN);
    assert.equal(driverClockOffset(running, 'history', ourNow), undefined);
    assert.equal(driverClockOffset(running, 'driver', undefined), undefined);
    assert.equal(driverClockOffset(listing(10 * MIN, true)[0], 'driver', ourNow), undefined);
  });

  test('without an offset, a start in our future is no running time, and the tooltip says the clock is ahead', () => {
    const r = runningFor(ourNow + 7 * MIN, ourNow, undefined);
    assert.deepEqual(r, { aheadMs: 7 * MIN });
    assert.equal(clockNote(undefined, r.aheadMs), "the driver's clock is at least 7m 0s ahead of this machine's: the running time cannot be measured here");
    assert.deepEqual(runningFor(ourNow - MIN, ourNow, undefined), { ms: MIN });
    assert.deepEqual(runningFor(undefined, ourNow, 0), {});
  });

  test("a request's latency is not a clock that is off, and is rounded off the note", () => {
    assert.equal(clockNote(-40), undefined);
    assert.match(clockNote(10 * MIN - 120)!, /^the driver's clock is 10m 0s ahead/);
    assert.equal(clockNote(undefined), undefined);
  });
});

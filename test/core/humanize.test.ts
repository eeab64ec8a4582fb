import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatG, humanDuration, humanSize } from '../../src/core/humanize.js';

describe('humanize (go-units compatible)', () => {
  it('formats sizes like docker images', () => {
    assert.equal(humanSize(1982312, 3), '1.98MB');
    assert.equal(humanSize(3001152), '3.001MB');
    assert.equal(humanSize(36445), '36.45kB');
    assert.equal(humanSize(0, 3), '0B');
    assert.equal(humanSize(512, 3), '512B');
    assert.equal(humanSize(1_500_000_000, 3), '1.5GB');
  });
  it('formats %g like Go', () => {
    assert.equal(formatG(1.5, 3), '1.5');
    assert.equal(formatG(100, 3), '100');
    assert.equal(formatG(999.9, 3), '1e+03');
  });
  it('formats durations like docker ps', () => {
    assert.equal(humanDuration(500), 'Less than a second');
    assert.equal(humanDuration(1000), '1 second');
    assert.equal(humanDuration(59_000), '59 seconds');
    assert.equal(humanDuration(60_000), 'About a minute');
    assert.equal(humanDuration(5 * 60_000), '5 minutes');
    assert.equal(humanDuration(3600_000), 'About an hour');
    assert.equal(humanDuration(3 * 3600_000), '3 hours');
    assert.equal(humanDuration(3 * 86400_000), '3 days');
    assert.equal(humanDuration(20 * 86400_000), '2 weeks');
  });
});

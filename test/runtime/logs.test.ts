/**
 * conmon's k8s-file format read back as Docker log entries: parsing, partial lines, rotated
 * files, tail/since/until, and a follow that crosses a rotation and ends when told to stop.
 */
import assert from 'node:assert/strict';
import { appendFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LogEntry } from '../../src/runtime/contract.js';
import { formatTimestampNs, parseK8sLine, parseTimestampNs } from '../../src/runtime/k8s-log.js';
import { readLogs } from '../../src/runtime/log-reader.js';
import { tempDir } from '../helpers/tmp.js';

const T0 = parseTimestampNs('2026-11-26T20:03:54.000000000+00:00') as bigint;
const ts = (i: number) => `2026-11-26T20:03:${String(54 + i).padStart(2, '0')}.000000100+00:00`;
const nsOf = (i: number) => T0 + BigInt(i) * 1_000_000_000n + 100n;

async function collect(it: AsyncIterable<LogEntry>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of it) out.push(`${e.stream}:${e.data.toString()}`);
  return out;
}

describe('k8s-file records', () => {
  it('parses timestamps with offsets to ns and formats them as Docker does', () => {
    assert.equal(parseTimestampNs('2026-11-26T20:03:54.193133139+00:00'), 1795723434193133139n);
    assert.equal(parseTimestampNs('2026-11-26T21:03:54.193133139+01:00'), 1795723434193133139n);
    assert.equal(parseTimestampNs('2026-11-26T20:03:54.5Z'), 1795723434500000000n);
    assert.equal(parseTimestampNs('yesterday'), undefined);
    assert.equal(formatTimestampNs(1795723434000000042n), '2026-11-26T20:03:54.000000042Z');
  });

  it('parses a record line, including an empty body', () => {
    const r = parseK8sLine(Buffer.from('2026-11-26T20:03:54.193133139+00:00 stderr P a b  c'));
    assert.deepEqual({ ...r, content: r?.content.toString() }, { timeNs: 1795723434193133139n, stream: 'stderr', partial: true, content: 'a b  c' });
    assert.equal(parseK8sLine(Buffer.from('2026-11-26T20:03:54.193133139+00:00 stdout F'))?.content.length, 0);
    assert.equal(parseK8sLine(Buffer.from('garbage line here now')), undefined);
    assert.equal(parseK8sLine(Buffer.from('2026-11-26T20:03:54Z stdin F x')), undefined);
  });
});

describe('readLogs', () => {
  it('joins partial records per stream and keeps a final partial line without newline', async (t) => {
    const log = join(await tempDir(t), 'c.log');
    await writeFile(
      log,
      [
        `${ts(0)} stdout P hel`,
        `${ts(0)} stderr F oops`,
        `${ts(1)} stdout F lo`,
        `${ts(2)} stdout F `,
        `${ts(3)} stdout P no-newline`,
        '',
      ].join('\n'),
    );
    const entries: LogEntry[] = [];
    for await (const e of readLogs(log)) entries.push(e);
    assert.deepEqual(
      entries.map((e) => [e.stream, e.data.toString(), e.timeNs]),
      [
        ['stderr', 'oops\n', nsOf(0)],
        ['stdout', 'hello\n', nsOf(0)],
        ['stdout', '\n', nsOf(2)],
        ['stdout', 'no-newline', nsOf(3)],
      ],
    );
  });

  it('reads rotated files oldest first, then applies tail before since/until', async (t) => {
    const log = join(await tempDir(t), 'c.log');
    await writeFile(`${log}.2`, `${ts(0)} stdout F a\n${ts(1)} stdout F b\n`);
    await writeFile(`${log}.1`, `${ts(2)} stdout F c\n`);
    await writeFile(log, `${ts(3)} stderr F d\n${ts(4)} stdout F e\n`);
    assert.deepEqual(await collect(readLogs(log)), ['stdout:a\n', 'stdout:b\n', 'stdout:c\n', 'stderr:d\n', 'stdout:e\n']);
    assert.deepEqual(await collect(readLogs(log, { tail: 2 })), ['stderr:d\n', 'stdout:e\n']);
    assert.deepEqual(await collect(readLogs(log, { tail: 0 })), []);
    assert.deepEqual(await collect(readLogs(log, { sinceNs: nsOf(1), untilNs: nsOf(3) })), ['stdout:b\n', 'stdout:c\n', 'stderr:d\n']);
    assert.deepEqual(await collect(readLogs(log, { tail: 3, sinceNs: nsOf(3) })), ['stderr:d\n', 'stdout:e\n']);
    assert.deepEqual(await collect(readLogs(join(log, '..', 'missing.log'))), []);
  });

  it('follows new records across a rotation and ends once stopped', async (t) => {
    const log = join(await tempDir(t), 'c.log');
    await writeFile(log, `${ts(0)} stdout F first\n`);
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const seen: string[] = [];
    let notify: (() => void) | undefined;
    const waitFor = (n: number) =>
      new Promise<void>((resolve) => {
        notify = () => seen.length >= n && resolve();
        notify();
      });
    const done = (async () => {
      for await (const e of readLogs(log, { follow: true, stopped, tail: 1 })) {
        seen.push(e.data.toString());
        notify?.();
      }
    })();
    await waitFor(1);
    await appendFile(log, `${ts(1)} stdout P sec`);
    await appendFile(log, `ond\n${ts(1)} stdout F \n`);
    await waitFor(2);
    // Rotation as LogRotator does it: rename, more output into the renamed file, then a new file.
    await rename(log, `${log}.1`);
    await appendFile(`${log}.1`, `${ts(2)} stdout F third\n`);
    await writeFile(log, `${ts(3)} stderr F fourth\n`);
    await waitFor(4);
    await appendFile(log, `${ts(4)} stdout F fifth\n`);
    stop();
    await done;
    assert.deepEqual(seen, ['first\n', 'second\n', 'third\n', 'fourth\n', 'fifth\n']);
  });
});

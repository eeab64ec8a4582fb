/** The value parsers of the container flags, on the edge cases docker's own tests use. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EscapeDetector, detachKeysToBytes } from '../../src/cli/run/escape.js';
import { parseArgs, FlagError } from '../../src/cli/flags/parse.js';
import { boolFlag, listFlag, stringFlag, parseGoInt } from '../../src/cli/flags/spec.js';
import { parseCsvRecord } from '../../src/cli/opts/csv.js';
import { getTimestamp } from '../../src/cli/opts/timestamps.js';
import { goDurationString, parseGoDuration, parseNanoCpus, ramInBytes } from '../../src/cli/opts/units.js';
import { displayablePorts } from '../../src/cli/format/containers.js';
import { goStrconvQuote } from '../../src/cli/format/go-text.js';

describe('flag values', () => {
  it('go-units sizes', () => {
    assert.equal(ramInBytes('64m'), 64 * 1024 ** 2);
    assert.equal(ramInBytes('1.5G'), 1.5 * 1024 ** 3);
    assert.equal(ramInBytes('512KiB'), 512 * 1024);
    assert.equal(ramInBytes('100'), 100);
    assert.equal(ramInBytes('32 mb'), 32 * 1024 ** 2);
    assert.throws(() => ramInBytes('abc'), /invalid size: 'abc'/);
    assert.throws(() => ramInBytes('1x'), /invalid suffix: 'x'/);
    assert.throws(() => ramInBytes('1kbb'), /invalid suffix: 'kbb'/);
  });

  it('CPUs as nano-CPUs', () => {
    assert.equal(parseNanoCpus('1.5'), 1500000000);
    assert.equal(parseNanoCpus('0.001'), 1000000);
    assert.equal(parseNanoCpus('3/2'), 1500000000);
    assert.equal(parseNanoCpus('2e-3'), 2000000);
    assert.throws(() => parseNanoCpus('0.0000000001'), /value is too precise/);
    assert.throws(() => parseNanoCpus('x'), /failed to parse x as a rational number/);
  });

  it('Go durations', () => {
    assert.equal(parseGoDuration('1m30s'), 90e9);
    assert.equal(parseGoDuration('1.5h'), 5400e9);
    assert.equal(parseGoDuration('500ms'), 5e8);
    assert.throws(() => parseGoDuration('1x'), /unknown unit "x" in duration "1x"/);
    assert.throws(() => parseGoDuration('5'), /missing unit/);
    assert.equal(goDurationString(90e9), '1m30s');
    assert.equal(goDurationString(5e8), '500ms');
  });

  it('Go integers (base prefixes) and quoting', () => {
    assert.equal(parseGoInt('0x10'), 16);
    assert.equal(parseGoInt('010'), 8);
    assert.equal(parseGoInt('-5'), -5);
    assert.throws(() => parseGoInt('x'), /strconv.ParseInt: parsing "x": invalid syntax/);
    assert.throws(() => parseGoInt('70000', 16, 'ParseUint'), /value out of range/);
    assert.equal(goStrconvQuote('a"b\\c\n\x01é'), '"a\\"b\\\\c\\n\\x01é"');
  });

  it('--since/--until timestamps', () => {
    assert.equal(getTimestamp('2026-11-26T20:00:00Z'), '1795723200.000000000');
    assert.equal(getTimestamp('2026-11-26T21:00:00.5+01:00'), '1795723200.500000000');
    assert.equal(getTimestamp('1795723500.5'), '1795723500.5');
    assert.equal(getTimestamp('10m', 1_000_000_000_000), String(1_000_000_000 - 600));
    assert.throws(() => getTimestamp('bogus'), /failed to parse value as time or duration: "bogus"/);
  });

  it('CSV records (--mount, --network)', () => {
    assert.deepEqual(parseCsvRecord('type=bind,src=/a,dst=/b'), ['type=bind', 'src=/a', 'dst=/b']);
    assert.deepEqual(parseCsvRecord('"a,b",c'), ['a,b', 'c']);
    assert.deepEqual(parseCsvRecord('a,'), ['a', '']);
    assert.throws(() => parseCsvRecord('a"b'), /bare " in non-quoted field/);
  });
});

describe('pflag parsing', () => {
  const specs = [boolFlag('tty', 't', ''), boolFlag('interactive', 'i', ''), listFlag('env', 'e', ''), stringFlag('name', undefined, '')];
  it('grouped shorthands, attached values, booleans with =false, and -- ', () => {
    const { flags, args } = parseArgs(specs, ['-it', '-eA=1', '-e=B', '--env', 'C', '--tty=false', '--name=x', 'img', '--rm'], { interspersed: false, helpShorthand: true });
    assert.equal(flags.bool('tty'), false);
    assert.equal(flags.bool('interactive'), true);
    assert.deepEqual(flags.list('env'), ['A=1', 'B', 'C']);
    assert.equal(flags.str('name'), 'x');
    assert.deepEqual(args, ['img', '--rm']);
  });
  it('errors with pflag texts', () => {
    assert.throws(() => parseArgs(specs, ['--nope'], { interspersed: true, helpShorthand: true }), (e) => e instanceof FlagError && e.message === 'unknown flag: --nope');
    assert.throws(() => parseArgs(specs, ['-x'], { interspersed: true, helpShorthand: true }), /unknown shorthand flag: 'x' in -x/);
    assert.throws(() => parseArgs(specs, ['--name'], { interspersed: true, helpShorthand: true }), /flag needs an argument: --name/);
    assert.throws(() => parseArgs(specs, ['-e'], { interspersed: true, helpShorthand: true }), /flag needs an argument: 'e' in -e/);
    assert.throws(() => parseArgs(specs, ['--tty=maybe'], { interspersed: true, helpShorthand: true }), /invalid argument "maybe" for "-t, --tty" flag: strconv.ParseBool/);
  });
});

describe('output helpers', () => {
  it('detach keys anywhere in the input, partial matches held back', () => {
    const d = new EscapeDetector(detachKeysToBytes('ctrl-p,ctrl-q'));
    assert.deepEqual(d.feed(Buffer.from('ab\x10')), { forward: Buffer.from('ab'), detached: false });
    assert.deepEqual(d.feed(Buffer.from('y')), { forward: Buffer.from('\x10y'), detached: false });
    assert.deepEqual(d.feed(Buffer.from('\x10')), { forward: Buffer.alloc(0), detached: false });
    assert.deepEqual(d.feed(Buffer.from('\x11')), { forward: Buffer.alloc(0), detached: true });
    assert.deepEqual([...detachKeysToBytes('ctrl-a,x,DEL')], [1, 120, 127]);
    assert.throws(() => detachKeysToBytes('ctrl-1'), /Unknown character: 'ctrl-1'/);
  });

  it('ports grouped like docker ps', () => {
    assert.equal(
      displayablePorts([
        { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
        { PrivatePort: 443, Type: 'tcp' },
        { PrivatePort: 444, Type: 'tcp' },
        { IP: '::', PrivatePort: 9000, PublicPort: 9000, Type: 'tcp' },
        { PrivatePort: 53, Type: 'udp' },
      ]),
      '53/udp, 443-444/tcp, [::]:9000->9000/tcp, 0.0.0.0:8080->80/tcp',
    );
  });
});

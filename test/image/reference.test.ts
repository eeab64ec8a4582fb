import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { familiarReference, formatReference, parseReference, parseReferenceWithDefaultTag } from '../../src/image/reference.js';

describe('image references', () => {
  const cases: Array<[string, string, string]> = [
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['foo/bar', 'docker.io/foo/bar:latest', 'foo/bar:latest'],
    ['index.docker.io/library/alpine:3', 'docker.io/library/alpine:3', 'alpine:3'],
    ['127.0.0.1:5000/sample/busybox:v1', '127.0.0.1:5000/sample/busybox:v1', '127.0.0.1:5000/sample/busybox:v1'],
    ['localhost/x', 'localhost/x:latest', 'localhost/x:latest'],
    ['Example.com/x', 'Example.com/x:latest', 'Example.com/x:latest'],
    [`busybox@sha256:${'a'.repeat(64)}`, `docker.io/library/busybox@sha256:${'a'.repeat(64)}`, `busybox@sha256:${'a'.repeat(64)}`],
  ];
  for (const [input, full, familiar] of cases) {
    it(`normalises ${input}`, () => {
      const ref = parseReferenceWithDefaultTag(input);
      assert.equal(formatReference(ref), full);
      assert.equal(familiarReference(ref), familiar);
    });
  }

  const bad: Array<[string, RegExp]> = [
    ['Busybox', /repository name \(library\/Busybox\) must be lowercase/],
    ['a'.repeat(64), /cannot specify 64-byte hexadecimal strings/],
    ['bad::tag', /invalid reference format/],
    ['x/-y', /invalid reference format/],
    ['', /invalid reference format/],
    ['busybox@sha256:abc', /invalid reference format/],
  ];
  for (const [input, msg] of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(() => parseReference(input), (e: Error & { kind?: string }) => e.kind === 'invalid' && msg.test(e.message));
    });
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nullish, opt, problem, req, type Shape } from '../../src/core/shape.js';

describe('shape checker', () => {
  const shape: Shape = {
    object: { name: req('string'), count: opt('int'), tags: nullish({ array: 'string' }), nested: opt({ record: { object: { on: req('boolean') } } }) },
    strict: true,
  };
  it('accepts values of the shape', () => {
    assert.equal(problem({ name: 'x' }, shape), undefined);
    assert.equal(problem({ name: 'x', count: 3, tags: null, nested: { a: { on: true } } }, shape), undefined);
  });
  it('names the first mismatch with its path', () => {
    assert.equal(problem({}, shape), 'name: required');
    assert.equal(problem({ name: 1 }, shape), 'name: expected a string');
    assert.equal(problem({ name: 'x', count: 1.5 }, shape), 'count: expected an integer');
    assert.equal(problem({ name: 'x', tags: ['a', 2] }, shape), 'tags[1]: expected a string');
    assert.equal(problem({ name: 'x', nested: { a: { on: 'yes' } } }, shape), 'nested.a.on: expected true or false');
    assert.equal(problem({ name: 'x', extra: 1 }, shape), 'unknown keys: extra');
    assert.equal(problem([1], shape), 'expected an object');
  });
});

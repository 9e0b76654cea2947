import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { excerpt, isInt32, parseDecimalInt32, wrappingAdd } from '../../src/jit/int32.js';

describe('int32', () => {
  it('parses canonical decimal integers within int32', () => {
    assert.equal(parseDecimalInt32('0', 'n'), 0);
    assert.equal(parseDecimalInt32('-4', 'n'), -4);
    assert.equal(parseDecimalInt32('10', 'n'), 10);
    assert.equal(parseDecimalInt32('2147483647', 'n'), 2147483647);
    assert.equal(parseDecimalInt32('-2147483648', 'n'), -2147483648);
  });

  for (const bad of [
    '',
    ' 5',
    '5 ',
    '+5',
    '1e3',
    '0x10',
    '5.0',
    '.5',
    '-',
    '--1',
    '1_000',
    'NaN',
    'Infinity',
    '٣',
    '007',
    '00',
    '-0',
    '-007',
    '+5',
  ]) {
    it(`rejects the non-canonical text ${JSON.stringify(bad)}, naming the field`, () => {
      assert.throws(() => parseDecimalInt32(bad, 'term'), { name: 'InputError', message: /^term must be/ });
    });
  }

  for (const bad of ['2147483648', '-2147483649']) {
    it(`rejects the out-of-range ${bad}, quoting it as given`, () => {
      assert.throws(() => parseDecimalInt32(bad, 'x'), {
        name: 'InputError',
        message: new RegExp(`got ${bad}$`),
      });
    });
  }

  it('quotes input of exactly 24 characters whole, without an ellipsis', () => {
    assert.throws(() => parseDecimalInt32('9'.repeat(24), 'x'), {
      name: 'InputError',
      message: `x must be from -2147483648 to 2147483647, got ${'9'.repeat(24)}`,
    });
  });

  it('quotes at most the first 24 characters of long input, then an ellipsis', () => {
    assert.throws(() => parseDecimalInt32('9'.repeat(60), 'x'), {
      name: 'InputError',
      message: `x must be from -2147483648 to 2147483647, got ${'9'.repeat(24)}…`,
    });
    assert.throws(() => parseDecimalInt32(`${'a'.repeat(15_000)}`, 'x'), {
      name: 'InputError',
      message: `x must be a decimal integer (digits without a leading zero, with a minus for a negative number), got "${'a'.repeat(24)}…"`,
    });
  });

  it('quotes no half of a character split where the excerpt ends', () => {
    assert.equal(excerpt(`${'a'.repeat(23)}😀b`), `${'a'.repeat(23)}…`);
    assert.equal(excerpt(`${'a'.repeat(22)}😀b`), `${'a'.repeat(22)}😀…`);
  });

  it('recognises int32 values', () => {
    assert.equal(isInt32(-2147483648), true);
    assert.equal(isInt32(2147483648), false);
    assert.equal(isInt32(1.5), false);
    assert.equal(isInt32('1'), false);
  });

  it('wraps like 32-bit two’s complement', () => {
    assert.equal(wrappingAdd(2147483647, 1), -2147483648);
    assert.equal(wrappingAdd(-2147483648, -1), 2147483647);
    assert.equal(wrappingAdd(-4, 1), -3);
  });
});

import assert from 'node:assert/strict';
import fs, { readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { describe, it, mock } from 'node:test';
import { getHeapStatistics } from 'node:v8';
import {
  AREAS_PER_ADDER,
  mappingBudget,
  NODE_AREAS,
  V8_HEAP_PAGE_BYTES,
} from '../../src/jit/mapping-budget.js';

describe('mappingBudget', () => {
  it("keeps V8's heap pages at its limit and a margin for Node.js, and gives two areas per adder", () => {
    const budget = mappingBudget({ maxMapCount: 65_530, heapSizeLimit: 4096 * 2 ** 20 });
    assert.equal(budget.reserved, (4096 * 2 ** 20) / V8_HEAP_PAGE_BYTES + NODE_AREAS);
    assert.equal(budget.largestCapacity, Math.floor((65_530 - budget.reserved) / AREAS_PER_ADDER));
    // (65,530 - 16,384 - 2,048) / 2
    assert.equal(budget.largestCapacity, 23_549);
  });

  it('gives no capacity, not a negative one, when the reserve alone exceeds the limit', () => {
    assert.equal(mappingBudget({ maxMapCount: 8000, heapSizeLimit: 4096 * 2 ** 20 }).largestCapacity, 0);
  });

  it("reads the kernel's limit and this process's heap limit, and leaves Node.js more areas than it uses", () => {
    const budget = mappingBudget();
    assert.equal(budget.maxMapCount, Number(readFileSync('/proc/sys/vm/max_map_count', 'utf8')));
    const areasNow = readFileSync('/proc/self/maps', 'utf8').trimEnd().split('\n').length;
    assert.ok(areasNow < NODE_AREAS / 2, `this test process has ${areasNow} areas`);
    assert.equal(
      budget.reserved,
      Math.ceil(getHeapStatistics().heap_size_limit / V8_HEAP_PAGE_BYTES) + NODE_AREAS,
    );
  });

  it('refuses a vm.max_map_count that is not a positive integer', () => {
    for (const text of ['0\n', '-1\n', 'unlimited\n', '1.5\n', '']) {
      // The kernel's file, as mapping-budget.ts reads it, replaced for this one reading.
      const original = fs.readFileSync;
      mock.method(fs, 'readFileSync', (path: fs.PathOrFileDescriptor, options?: unknown) =>
        path === '/proc/sys/vm/max_map_count' ? text : original(path, options as BufferEncoding),
      );
      syncBuiltinESMExports();
      try {
        assert.throws(() => mappingBudget({ heapSizeLimit: 4096 * 2 ** 20 }), {
          name: 'Error',
          message: '/proc/sys/vm/max_map_count does not hold a positive integer',
        });
      } finally {
        mock.restoreAll();
        syncBuiltinESMExports();
      }
    }
    assert.equal(mappingBudget().maxMapCount, Number(readFileSync('/proc/sys/vm/max_map_count', 'utf8')));
  });
});

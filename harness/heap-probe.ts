/**
 * Preloaded into a server process by tests (`node --expose-gc --import …/heap-probe.js`, spawned with an
 * IPC channel), so that a test can read the server's heap through Node's public APIs rather than a V8
 * trace format (which changes between V8 versions: Node.js 24's --trace-gc-nvp names its fields
 * differently from Node.js 20's), or collect its garbage at a moment of its choosing. It answers three
 * messages over the channel:
 *
 * - `'live'`: runs a full collection and answers `{ live: used_heap_size }`, the live heap. The first one
 *   also starts a v8.GCProfiler, which records the heap's spaces before and after every collection.
 * - `'profile'`: stops the profiler and answers `{ profile }`, what GCProfiler.stop() returned.
 * - `'collect'`: runs a full collection and answers `{ collected: true }`.
 *
 * Messages, not signals: close-with-grace treats nearly every signal as a request to shut down.
 */
import v8 from 'node:v8';

const collect = (globalThis as { gc?: () => void }).gc;
const send = process.send?.bind(process);
if (collect === undefined || send === undefined) {
  throw new Error('heap-probe needs node --expose-gc and an IPC channel to its parent');
}
// The channel must not keep the server alive once it has closed.
process.channel?.unref();

let profiler: v8.GCProfiler | undefined;

process.on('message', (message) => {
  if (message === 'live') {
    collect();
    send({ live: v8.getHeapStatistics().used_heap_size });
    if (profiler === undefined) {
      profiler = new v8.GCProfiler();
      profiler.start();
    }
  } else if (message === 'collect') {
    collect();
    send({ collected: true });
  } else if (message === 'profile') {
    send({ profile: profiler?.stop() });
    profiler = undefined;
  }
});

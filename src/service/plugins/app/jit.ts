/**
 * Gives the app its JIT registry: made when the plugin registers, self-tested before the server accepts
 * requests, and disposed (every page unmapped) when the app closes. The registry has exactly one owner:
 * this plugin.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { hostTarget } from '../../../jit/host.js';
import { mappingBudget } from '../../../jit/mapping-budget.js';
import { JitRegistry, type RegistryOptions } from '../../../jit/registry.js';
import { runJitSelfTest } from '../../../jit/self-test.js';

export interface JitPluginOptions {
  capacity: number;
  blinding: boolean;
  /** JIT_ISA: the batch kernels' level, or 'auto' for the best this host runs. */
  isa: string;
  compile?: RegistryOptions['compile'];
  onCompile?: RegistryOptions['onCompile'];
}

declare module 'fastify' {
  interface FastifyInstance {
    jit: JitRegistry;
    /** True once the start-up self-test compiled and ran a probe adder, and until the app closes. */
    jitReady: () => boolean;
  }
}

async function jitPlugin(app: FastifyInstance, options: JitPluginOptions): Promise<void> {
  // Fail the start, not the first request: a host that forbids executable memory, or lacks the level asked
  // for (UnsupportedKernelLevelError, naming what the CPU lacks or whose level it is), is found out here.
  // The target is resolved here, once, and handed to the self-test and the registry.
  const target = hostTarget(options.isa);
  runJitSelfTest(target);
  const registry = new JitRegistry({ ...options, target });
  let ready = true;
  app.decorate('jit', registry);
  app.decorate('jitReady', () => ready);
  app.addHook('preClose', async () => {
    ready = false;
  });
  app.addHook('onClose', async () => {
    const released = registry.dispose();
    app.log.info({ releasedPages: released }, `JIT registry disposed: released ${released} executable pages`);
  });
  app.log.info(
    {
      capacity: registry.capacity,
      largestCapacity: mappingBudget().largestCapacity,
      blinding: options.blinding,
      isa: registry.level,
    },
    'JIT self-test passed; registry ready',
  );
}

export default fp(jitPlugin, { name: 'babyjit-jit', fastify: '5.x' });

/**
 * The explainer's entry: machine code and the name of its architecture in, its instructions annotated out,
 * in one shape whatever the architecture (annotation.ts). Whoever serves a description of code asks here,
 * with the bytes and the facts the registry hands out; the compiler never asks (test/architecture.test.ts).
 */
import type { AnnotatedInstruction } from './annotation.js';
import { annotate as annotateA64 } from './arm64/annotate.js';
import { annotate as annotateX86_64 } from './x86-64/annotate.js';

/** One explainer per architecture, by the name the targets give it (src/jit/target.ts). */
const EXPLAINERS = {
  'x86-64': annotateX86_64,
  arm64: annotateA64,
} satisfies Record<string, (code: Uint8Array) => AnnotatedInstruction[]>;

type Architecture = keyof typeof EXPLAINERS;
const ARCHITECTURES = Object.keys(EXPLAINERS) as Architecture[];

function isArchitecture(name: string): name is Architecture {
  return Object.hasOwn(EXPLAINERS, name);
}

/**
 * Explains `code` as machine code of `architecture`. Throws AnnotationError for the first instruction it
 * cannot vouch for, and RangeError for an architecture it has no explainer for.
 */
export function explain(code: Uint8Array, architecture: string): AnnotatedInstruction[] {
  if (!isArchitecture(architecture)) {
    throw new RangeError(`no explainer for architecture ${architecture}: only ${ARCHITECTURES.join(', ')}`);
  }
  return EXPLAINERS[architecture](code);
}

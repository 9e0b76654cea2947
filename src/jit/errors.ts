/**
 * Errors of the JIT core. Each carries a stable `code` so that callers (the CLI, the HTTP routes) can map
 * it to an exit status or a response without matching on message text.
 */
export class JitError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * Input a person or a client gave was malformed or out of range (a term or an x written as text): their
 * mistake to fix, and the only error of the core that the service answers with a 4xx. Every other error
 * is a fault of the host or of the service itself.
 */
export class InputError extends JitError {
  /** Where the input came from, as the caller named it (`params/n`, `querystring/x`, `term`). */
  readonly field: string;
  constructor(field: string, message: string) {
    super('JIT_INVALID_INPUT', message);
    this.field = field;
  }
}

/** The JIT emits machine code for the architectures it knows and calls Linux's mmap: nothing else runs it. */
export class UnsupportedPlatformError extends JitError {
  readonly platform: string;
  readonly arch: string;
  constructor(platform: string, arch: string, architectures: readonly string[]) {
    super(
      'JIT_UNSUPPORTED_PLATFORM',
      `babyjit needs Linux on ${architectures.join(' or ')} (it emits their machine code and maps it with ` +
        `Linux's mmap); this is ${platform} on ${arch}`,
    );
    this.platform = platform;
    this.arch = arch;
  }
}

/** A system call failed: names the call, the errno's symbol and number, and the C library's reading of it. */
export class SyscallError extends JitError {
  readonly syscall: string;
  readonly errno: number;
  readonly errnoName: string;
  constructor(
    syscall: string,
    errno: number,
    errnoName: string,
    description: string,
    detail?: string,
    code = 'JIT_SYSCALL_FAILED',
  ) {
    super(
      code,
      `${syscall} failed with ${errnoName} (errno ${errno}): ${description}${detail ? `; ${detail}` : ''}`,
    );
    this.syscall = syscall;
    this.errno = errno;
    this.errnoName = errnoName;
  }
}

/**
 * The kernel refused to make a page executable. Hosts do this on purpose (SELinux deny_execmem, systemd
 * MemoryDenyWriteExecute=yes, prctl PR_SET_MDWE, some seccomp profiles): a JIT cannot work there at all.
 */
export class ExecutableMemoryDeniedError extends SyscallError {
  constructor(errno: number, errnoName: string, description: string) {
    super(
      'mprotect(PROT_READ|PROT_EXEC)',
      errno,
      errnoName,
      description,
      'executable memory is not permitted in this process: the host forbids making memory executable ' +
        '(e.g. SELinux deny_execmem, systemd MemoryDenyWriteExecute=yes, prctl PR_SET_MDWE or a seccomp filter)',
      'JIT_EXEC_MEMORY_DENIED',
    );
  }
}

/** A caller used an adder or page after it was released: refusing is what keeps us out of unmapped memory. */
export class ReleasedError extends JitError {
  constructor(what: string) {
    super('JIT_RELEASED', `${what} has been released; its page is no longer mapped`);
  }
}

/**
 * A leased adder (JitRegistry#lease: a stream is adding with it) cannot be released until its lease ends:
 * its page stays mapped for the stream.
 */
export class AdderLeasedError extends JitError {
  readonly term: number;
  constructor(term: number) {
    super(
      'JIT_ADDER_LEASED',
      `adder ${term} is in use by a streamed batch; it can be released once that ends`,
    );
    this.term = term;
  }
}

/**
 * Every adder is leased and the registry is at capacity: nothing can be evicted to make room for another
 * term until a stream ends.
 */
export class AllAddersLeasedError extends JitError {
  constructor(capacity: number) {
    super(
      'JIT_ALL_ADDERS_LEASED',
      `all ${capacity} adders the registry holds are in use by streamed batches; retry when one ends`,
    );
  }
}

/**
 * The kernels asked for need what this CPU or its OS does not provide, or are another architecture's:
 * `missing` says which, in words.
 */
export class UnsupportedKernelLevelError extends JitError {
  readonly level: string;
  readonly missing: readonly string[];
  readonly bestLevel: string;
  constructor(
    level: string,
    missing: readonly string[],
    bestLevel: string,
    reason = `it lacks ${missing.join(', ')}`,
  ) {
    super(
      'JIT_KERNEL_LEVEL_UNSUPPORTED',
      `the ${level} kernels cannot run on this host: ${reason}; the best level it supports is ${bestLevel}`,
    );
    this.level = level;
    this.missing = missing;
    this.bestLevel = bestLevel;
  }
}

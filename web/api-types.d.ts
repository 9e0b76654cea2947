/**
 * The API's types, generated from /openapi.json by openapi-typescript (`npm run api-types`): edit the
 * route schemas in src/service/schemas/, not this file. web/api.ts names the answers the page reads.
 */
export interface paths {
  "/healthz": {
    /**
     * The process is alive
     * @description Answers 200 whenever the process answers at all, and checks nothing more: load shedding and the compile quota do not apply to it.
     */
    get: operations["getLiveness"];
    /**
     * The process is alive
     * @description Answers 200 whenever the process answers at all, and checks nothing more: load shedding and the compile quota do not apply to it.
     */
    head: operations["headLiveness"];
  };
  "/readyz": {
    /**
     * The JIT self-test passed at start and the service is not shutting down
     * @description Answers 200 once the service has started, which it does only if the JIT self-test passed, and 503 from the moment it begins shutting down, so that load balancers stop sending it requests.
     */
    get: operations["getReadiness"];
    /**
     * The JIT self-test passed at start and the service is not shutting down
     * @description Answers 200 once the service has started, which it does only if the JIT self-test passed, and 503 from the moment it begins shutting down, so that load balancers stop sending it requests.
     */
    head: operations["headReadiness"];
  };
  "/adders": {
    /**
     * List compiled adders, a page at a time, with the registry’s counters
     * @description The registry’s counters, and the adders compiled now from `offset`, `limit` at a time; `page.next` is the path of the next page. `limit=0` gives the counters alone. Does not compile.
     */
    get: operations["listAdders"];
    /**
     * Compile the adder for a term
     * @description Compiles `term + x` into its own executable page. 201 with a Location the first time, 200 with the same body when the adder is already compiled. `term` is a JSON integer written as one: no fraction or exponent (`5.0`, `5e0` are refused).
     */
    post: operations["compileAdder"];
    /**
     * Whether the adders resource answers, without its body (costs nothing)
     * @description The status and content type a GET would answer, without building the list: no body, and no Content-Length.
     */
    head: operations["headAdders"];
  };
  "/adders/{n}/apply": {
    /**
     * Evaluate n + x
     * @description Compiles the adder on the first request for n, then evaluates it. Sums wrap around at int32.
     */
    get: operations["applyAdder"];
    /**
     * Evaluate n + x for many x
     * @description Compiles the adder on first use, then evaluates it on every input with one call into its batch kernel. As JSON, `{"xs": [...]}`: up to 10000 inputs, each a JSON integer written as one (no fraction or exponent). As `application/octet-stream`: the inputs as little-endian int32s, up to BINARY_BATCH_LIMIT_BYTES (16 MiB unless configured), with a Content-Length; the answer is the results in the same format and length.
     */
    post: operations["applyAdderToMany"];
    /**
     * Evaluate n + x
     * @description Compiles the adder on the first request for n, then evaluates it. Sums wrap around at int32.
     */
    head: operations["headApplyAdder"];
  };
  "/adders/{n}": {
    /**
     * Describe a compiled adder: its machine code, decoded and annotated
     * @description Reads the code back from the executable page and decodes it (x86-64 with iced-x86, A64 word by word): what the CPU will run, each instruction split into its encoding fields. Does not compile.
     */
    get: operations["describeAdder"];
    /**
     * Release an adder: its page is unmapped
     * @description Costs the client one compile of its quota, as the adder’s owner will pay one to compile it again.
     */
    delete: operations["releaseAdder"];
    /**
     * Whether an adder is compiled, without decoding it (costs one lookup)
     * @description 200 if the adder for n is compiled, 404 if not, without a body. Does not compile.
     */
    head: operations["headAdder"];
  };
  "/adders/{n}/life": {
    /**
     * The life of the page that holds, or last held, an adder
     * @description How the page was mapped (or recycled from an evicted adder), written, sealed and called, and, for a page whose adder has gone (one of the last 64), how it was evicted or unmapped. 404 when the service has no record of it.
     */
    get: operations["getAdderLife"];
    /**
     * The life of the page that holds, or last held, an adder
     * @description How the page was mapped (or recycled from an evicted adder), written, sealed and called, and, for a page whose adder has gone (one of the last 64), how it was evicted or unmapped. 404 when the service has no record of it.
     */
    head: operations["headAdderLife"];
  };
}

export type webhooks = Record<string, never>;

export interface components {
  schemas: {
    /** @description Every error has this shape */
    ErrorResponse: {
      statusCode: number;
      error: string;
      message: string;
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: {
    /** @description The request’s id, under which the service logs it: the client’s own X-Request-Id if it is 1 to 64 characters from A–Z, a–z, 0–9 and `._:=+/-`, else the trace id of a valid W3C traceparent, else a new UUID. A 500’s message quotes it. */
    RequestId: string;
  };
  pathItems: never;
}

export type $defs = Record<string, never>;

export type external = Record<string, never>;

export interface operations {

  /**
   * The process is alive
   * @description Answers 200 whenever the process answers at all, and checks nothing more: load shedding and the compile quota do not apply to it.
   */
  getLiveness: {
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": {
            /** @enum {string} */
            status: "ok";
          };
        };
      };
      /** @description A request the service cannot take: malformed HTTP, or a parameter, query or body field it refuses (the message names it) */
      400: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request did not arrive in full within the request timeout */
      408: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description An Expect header other than 100-continue */
      417: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request headers are larger than the server accepts */
      431: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A fault of the service itself; the details are in its log */
      500: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
    };
  };
  /**
   * The process is alive
   * @description Answers 200 whenever the process answers at all, and checks nothing more: load shedding and the compile quota do not apply to it.
   */
  headLiveness: {
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": {
            /** @enum {string} */
            status: "ok";
          };
        };
      };
      /** @description A request the service cannot take: malformed HTTP, or a parameter, query or body field it refuses (the message names it) */
      400: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request did not arrive in full within the request timeout */
      408: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description An Expect header other than 100-continue */
      417: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request headers are larger than the server accepts */
      431: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A fault of the service itself; the details are in its log */
      500: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
    };
  };
  /**
   * The JIT self-test passed at start and the service is not shutting down
   * @description Answers 200 once the service has started, which it does only if the JIT self-test passed, and 503 from the moment it begins shutting down, so that load balancers stop sending it requests.
   */
  getReadiness: {
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": {
            /** @enum {string} */
            status: "ready";
          };
        };
      };
      /** @description A request the service cannot take: malformed HTTP, or a parameter, query or body field it refuses (the message names it) */
      400: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request did not arrive in full within the request timeout */
      408: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description An Expect header other than 100-continue */
      417: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request headers are larger than the server accepts */
      431: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A fault of the service itself; the details are in its log */
      500: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description Overloaded, out of memory for a new page, every adder in use by streamed batches, or shutting down; retry after Retry-After */
      503: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: 2 when overloaded, 1 otherwise */
          "Retry-After"?: number;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
    };
  };
  /**
   * The JIT self-test passed at start and the service is not shutting down
   * @description Answers 200 once the service has started, which it does only if the JIT self-test passed, and 503 from the moment it begins shutting down, so that load balancers stop sending it requests.
   */
  headReadiness: {
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": {
            /** @enum {string} */
            status: "ready";
          };
        };
      };
      /** @description A request the service cannot take: malformed HTTP, or a parameter, query or body field it refuses (the message names it) */
      400: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request did not arrive in full within the request timeout */
      408: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description An Expect header other than 100-continue */
      417: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request headers are larger than the server accepts */
      431: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A fault of the service itself; the details are in its log */
      500: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description Overloaded, out of memory for a new page, every adder in use by streamed batches, or shutting down; retry after Retry-After */
      503: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: 2 when overloaded, 1 otherwise */
          "Retry-After"?: number;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
    };
  };
  /**
   * List compiled adders, a page at a time, with the registry’s counters
   * @description The registry’s counters, and the adders compiled now from `offset`, `limit` at a time; `page.next` is the path of the next page. `limit=0` gives the counters alone. Does not compile.
   */
  listAdders: {
    parameters: {
      query?: {
        /**
         * @description Adders to list, 100 unless given; 0 for the counters alone: a decimal integer from 0 to 1000 (digits without a leading zero)
         * @example 100
         */
        limit?: string;
        /**
         * @description Adders to skip, least recently used first: a decimal integer from 0 to 1048576 (digits without a leading zero)
         * @example 0
         */
        offset?: string;
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": {
            stats: {
              /** @description What the pages are generated for */
              target: string;
              /**
               * @description The batch kernels’ instruction-set level (JIT_ISA)
               * @enum {string}
               */
              level: "scalar" | "sse2" | "avx2" | "neon";
              capacity: number;
              /** @description Adders compiled and mapped now */
              live: number;
              /** @description Executable memory held by live adders */
              mappedBytes: number;
              compiles: number;
              hits: number;
              misses: number;
              evictions: number;
              /** @description Of the evictions, those made below capacity because the kernel refused memory for a new page */
              pressureEvictions: number;
              /** @description Adders deleted through the API */
              releases: number;
            };
            /** @description Least recently used first */
            adders: {
                term: number;
                /** @description Inputs evaluated by this adder */
                calls: number;
                /** Format: date-time */
                compiledAt: string;
              }[];
            page: {
              offset: number;
              limit: number;
              /** @description Adders live now */
              total: number;
              /** @description The path of the next page, or null on the last */
              next: string | null;
            };
          };
        };
      };
      /** @description A request the service cannot take: malformed HTTP, or a parameter, query or body field it refuses (the message names it) */
      400: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request did not arrive in full within the request timeout */
      408: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description An Expect header other than 100-continue */
      417: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request headers are larger than the server accepts */
      431: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A fault of the service itself; the details are in its log */
      500: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description Overloaded, out of memory for a new page, every adder in use by streamed batches, or shutting down; retry after Retry-After */
      503: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: 2 when overloaded, 1 otherwise */
          "Retry-After"?: number;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
    };
  };
  /**
   * Compile the adder for a term
   * @description Compiles `term + x` into its own executable page. 201 with a Location the first time, 200 with the same body when the adder is already compiled. `term` is a JSON integer written as one: no fraction or exponent (`5.0`, `5e0` are refused).
   */
  compileAdder: {
    requestBody: {
      content: {
        "application/json": {
          term: number;
        };
      };
    };
    responses: {
      /** @description Already compiled */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description `hit` if the adder was already compiled, `compile` if this request compiled it */
          "x-jit-cache"?: "hit" | "compile";
        };
        content: {
          "application/json": {
            term: number;
            /** @description The machine code as read back from the executable page, hex bytes separated by spaces: the adder, int3 padding, then the batch adder at offset 16. With blinding (the default) each loads its term as `mov eax, term ^ key; xor eax, key` with a random key per page; without, the adder is the seed program's 11 bytes */
            code: string;
          };
        };
      };
      /** @description Compiled by this request */
      201: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description `hit` if the adder was already compiled, `compile` if this request compiled it */
          "x-jit-cache"?: "hit" | "compile";
        };
        content: {
          "application/json": {
            term: number;
            /** @description The machine code as read back from the executable page, hex bytes separated by spaces: the adder, int3 padding, then the batch adder at offset 16. With blinding (the default) each loads its term as `mov eax, term ^ key; xor eax, key` with a random key per page; without, the adder is the seed program's 11 bytes */
            code: string;
          };
        };
      };
      /** @description A request the service cannot take: malformed HTTP, or a parameter, query or body field it refuses (the message names it) */
      400: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request did not arrive in full within the request timeout */
      408: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The body is larger than the route accepts */
      413: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A body in a content type the route does not take */
      415: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description An Expect header other than 100-continue */
      417: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The client is over its compile quota; Retry-After says when it may compile again */
      429: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: until the client’s quota window ends */
          "Retry-After"?: number;
          /** @description The compile quota, as draft-ietf-httpapi-ratelimit-headers-11 writes it: the policy `"compiles"`, its quota `q` (compiles and releases per client) and window `w` (seconds) */
          "RateLimit-Policy"?: string;
          /** @description What is left of the quota (draft-ietf-httpapi-ratelimit-headers-11): `r=0` compiles for the next `t` seconds, the same as Retry-After */
          RateLimit?: string;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request headers are larger than the server accepts */
      431: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A fault of the service itself; the details are in its log */
      500: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description Overloaded, out of memory for a new page, every adder in use by streamed batches, or shutting down; retry after Retry-After */
      503: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: 2 when overloaded, 1 otherwise */
          "Retry-After"?: number;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
    };
  };
  /**
   * Whether the adders resource answers, without its body (costs nothing)
   * @description The status and content type a GET would answer, without building the list: no body, and no Content-Length.
   */
  headAdders: {
    parameters: {
      query?: {
        /**
         * @description Adders to list, 100 unless given; 0 for the counters alone: a decimal integer from 0 to 1000 (digits without a leading zero)
         * @example 100
         */
        limit?: string;
        /**
         * @description Adders to skip, least recently used first: a decimal integer from 0 to 1048576 (digits without a leading zero)
         * @example 0
         */
        offset?: string;
      };
    };
    responses: {
      /** @description The status and headers of a GET, without its body */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": {
            stats: {
              /** @description What the pages are generated for */
              target: string;
              /**
               * @description The batch kernels’ instruction-set level (JIT_ISA)
               * @enum {string}
               */
              level: "scalar" | "sse2" | "avx2" | "neon";
              capacity: number;
              /** @description Adders compiled and mapped now */
              live: number;
              /** @description Executable memory held by live adders */
              mappedBytes: number;
              compiles: number;
              hits: number;
              misses: number;
              evictions: number;
              /** @description Of the evictions, those made below capacity because the kernel refused memory for a new page */
              pressureEvictions: number;
              /** @description Adders deleted through the API */
              releases: number;
            };
            /** @description Least recently used first */
            adders: {
                term: number;
                /** @description Inputs evaluated by this adder */
                calls: number;
                /** Format: date-time */
                compiledAt: string;
              }[];
            page: {
              offset: number;
              limit: number;
              /** @description Adders live now */
              total: number;
              /** @description The path of the next page, or null on the last */
              next: string | null;
            };
          };
        };
      };
      /** @description A request the service cannot take: malformed HTTP, or a parameter, query or body field it refuses (the message names it) */
      400: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request did not arrive in full within the request timeout */
      408: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description An Expect header other than 100-continue */
      417: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request headers are larger than the server accepts */
      431: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A fault of the service itself; the details are in its log */
      500: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description Overloaded, out of memory for a new page, every adder in use by streamed batches, or shutting down; retry after Retry-After */
      503: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: 2 when overloaded, 1 otherwise */
          "Retry-After"?: number;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
    };
  };
  /**
   * Evaluate n + x
   * @description Compiles the adder on the first request for n, then evaluates it. Sums wrap around at int32.
   */
  applyAdder: {
    parameters: {
      query: {
        /**
         * @description The input: a decimal integer from -2147483648 to 2147483647 (digits without a leading zero, with a minus for a negative number)
         * @example 37
         */
        x: string;
      };
      path: {
        /**
         * @description The adder’s term: a decimal integer from -2147483648 to 2147483647 (digits without a leading zero, with a minus for a negative number)
         * @example 5
         */
        n: string;
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description `hit` if the adder was already compiled, `compile` if this request compiled it */
          "x-jit-cache"?: "hit" | "compile";
        };
        content: {
          "application/json": {
            term: number;
            x: number;
            result: number;
          };
        };
      };
      /** @description A request the service cannot take: malformed HTTP, or a parameter, query or body field it refuses (the message names it) */
      400: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request did not arrive in full within the request timeout */
      408: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A path segment longer than 64 characters */
      414: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description An Expect header other than 100-continue */
      417: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The client is over its compile quota; Retry-After says when it may compile again */
      429: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: until the client’s quota window ends */
          "Retry-After"?: number;
          /** @description The compile quota, as draft-ietf-httpapi-ratelimit-headers-11 writes it: the policy `"compiles"`, its quota `q` (compiles and releases per client) and window `w` (seconds) */
          "RateLimit-Policy"?: string;
          /** @description What is left of the quota (draft-ietf-httpapi-ratelimit-headers-11): `r=0` compiles for the next `t` seconds, the same as Retry-After */
          RateLimit?: string;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request headers are larger than the server accepts */
      431: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A fault of the service itself; the details are in its log */
      500: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description Overloaded, out of memory for a new page, every adder in use by streamed batches, or shutting down; retry after Retry-After */
      503: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: 2 when overloaded, 1 otherwise */
          "Retry-After"?: number;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
    };
  };
  /**
   * Evaluate n + x for many x
   * @description Compiles the adder on first use, then evaluates it on every input with one call into its batch kernel. As JSON, `{"xs": [...]}`: up to 10000 inputs, each a JSON integer written as one (no fraction or exponent). As `application/octet-stream`: the inputs as little-endian int32s, up to BINARY_BATCH_LIMIT_BYTES (16 MiB unless configured), with a Content-Length; the answer is the results in the same format and length.
   */
  applyAdderToMany: {
    parameters: {
      path: {
        /**
         * @description The adder’s term: a decimal integer from -2147483648 to 2147483647 (digits without a leading zero, with a minus for a negative number)
         * @example 5
         */
        n: string;
      };
    };
    requestBody: {
      content: {
        "application/json": {
          xs: number[];
        };
        "application/octet-stream": unknown;
      };
    };
    responses: {
      /** @description The results, in the format of the request */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description `hit` if the adder was already compiled, `compile` if this request compiled it */
          "x-jit-cache"?: "hit" | "compile";
        };
        content: {
          "application/json": {
            term: number;
            results: number[];
          };
          "application/octet-stream": unknown;
        };
      };
      /** @description A request the service cannot take: malformed HTTP, or a parameter, query or body field it refuses (the message names it) */
      400: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request did not arrive in full within the request timeout */
      408: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A binary batch without a Content-Length */
      411: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The body is larger than the route accepts */
      413: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A path segment longer than 64 characters */
      414: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A body in a content type the route does not take */
      415: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description An Expect header other than 100-continue */
      417: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The client is over its compile quota; Retry-After says when it may compile again */
      429: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: until the client’s quota window ends */
          "Retry-After"?: number;
          /** @description The compile quota, as draft-ietf-httpapi-ratelimit-headers-11 writes it: the policy `"compiles"`, its quota `q` (compiles and releases per client) and window `w` (seconds) */
          "RateLimit-Policy"?: string;
          /** @description What is left of the quota (draft-ietf-httpapi-ratelimit-headers-11): `r=0` compiles for the next `t` seconds, the same as Retry-After */
          RateLimit?: string;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request headers are larger than the server accepts */
      431: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A fault of the service itself; the details are in its log */
      500: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description Overloaded, out of memory for a new page, every adder in use by streamed batches, or shutting down; retry after Retry-After */
      503: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: 2 when overloaded, 1 otherwise */
          "Retry-After"?: number;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
    };
  };
  /**
   * Evaluate n + x
   * @description Compiles the adder on the first request for n, then evaluates it. Sums wrap around at int32.
   */
  headApplyAdder: {
    parameters: {
      query: {
        /**
         * @description The input: a decimal integer from -2147483648 to 2147483647 (digits without a leading zero, with a minus for a negative number)
         * @example 37
         */
        x: string;
      };
      path: {
        /**
         * @description The adder’s term: a decimal integer from -2147483648 to 2147483647 (digits without a leading zero, with a minus for a negative number)
         * @example 5
         */
        n: string;
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description `hit` if the adder was already compiled, `compile` if this request compiled it */
          "x-jit-cache"?: "hit" | "compile";
        };
        content: {
          "application/json": {
            term: number;
            x: number;
            result: number;
          };
        };
      };
      /** @description A request the service cannot take: malformed HTTP, or a parameter, query or body field it refuses (the message names it) */
      400: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request did not arrive in full within the request timeout */
      408: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A path segment longer than 64 characters */
      414: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description An Expect header other than 100-continue */
      417: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The client is over its compile quota; Retry-After says when it may compile again */
      429: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: until the client’s quota window ends */
          "Retry-After"?: number;
          /** @description The compile quota, as draft-ietf-httpapi-ratelimit-headers-11 writes it: the policy `"compiles"`, its quota `q` (compiles and releases per client) and window `w` (seconds) */
          "RateLimit-Policy"?: string;
          /** @description What is left of the quota (draft-ietf-httpapi-ratelimit-headers-11): `r=0` compiles for the next `t` seconds, the same as Retry-After */
          RateLimit?: string;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request headers are larger than the server accepts */
      431: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A fault of the service itself; the details are in its log */
      500: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description Overloaded, out of memory for a new page, every adder in use by streamed batches, or shutting down; retry after Retry-After */
      503: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: 2 when overloaded, 1 otherwise */
          "Retry-After"?: number;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
    };
  };
  /**
   * Describe a compiled adder: its machine code, decoded and annotated
   * @description Reads the code back from the executable page and decodes it (x86-64 with iced-x86, A64 word by word): what the CPU will run, each instruction split into its encoding fields. Does not compile.
   */
  describeAdder: {
    parameters: {
      path: {
        /**
         * @description The adder’s term: a decimal integer from -2147483648 to 2147483647 (digits without a leading zero, with a minus for a negative number)
         * @example 5
         */
        n: string;
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": {
            term: number;
            /** @description Inputs evaluated by this adder */
            calls: number;
            /** Format: date-time */
            compiledAt: string;
            /** @description The machine code as read back from the executable page, hex bytes separated by spaces: the adder, int3 padding, then the batch adder at offset 16. With blinding (the default) each loads its term as `mov eax, term ^ key; xor eax, key` with a random key per page; without, the adder is the seed program's 11 bytes */
            code: string;
            /** @description What the page was generated for */
            target: string;
            /** @description Where each function of the page starts in its code */
            entries: {
                name: string;
                offset: number;
                signature: string;
                /** @description Where its arguments arrive and its result leaves, as the architecture’s calling convention says */
                registers: string;
              }[];
            /** @description Decoded from the bytes in the executable page (by iced-x86 on x86-64), with their encoding fields */
            disassembly: ({
                /** @description Offset from the start of the code, in bytes */
                offset: number;
                bytes: string;
                /** @description Intel syntax on x86-64, the Arm ARM’s on arm64 */
                text: string;
                length: number;
                /** @description iced-x86's name for the mnemonic; on arm64, the Arm ARM heading's (MOVZ) */
                mnemonic: string;
                /** @description The opcode in Intel SDM notation; on arm64, the encoding diagram from bit 31 down */
                opCodeString: string;
                instructionString: string;
                /** @description A reference page for the mnemonic, or null */
                reference: string | null;
                /** @description What it does, in plain words */
                operation: string;
                /** @description The fields, in order, tiling the instruction exactly */
                fields: ({
                    kind: "prefix" | "rex" | "vex" | "opcode" | "modrm" | "sib" | "displacement" | "immediate" | "word";
                    /** @description Offset of the field in the instruction */
                    offset: number;
                    length: number;
                    bytes: string;
                    bits?: {
                        name: string;
                        value: string;
                        meaning: string;
                        /** @description An A64 word’s bits only: the highest bit of the group */
                        high?: number;
                        /** @description An A64 word’s bits only: the lowest bit of the group */
                        low?: number;
                      }[];
                    description: string;
                  })[];
              })[];
            page: {
              /** @description The page’s size */
              bytes: number;
              /** @description How many of its bytes the code fills */
              codeBytes: number;
            };
            /** @description The page’s random key and blinded term, or null without blinding */
            blinding: {
              key: number;
              /** @description `term ^ key`, what the page holds instead of the term */
              blindedTerm: number;
            } | null;
            /** @description Offsets where the term’s own four bytes (little-endian) appear in the code. With blinding no immediate holds them: they appear only where bytes every page has spell them, such as the int3 padding for 0xcccccccc */
            termBytesAt: number[];
            /** @description The life of the page that holds, or last held, an adder */
            life: {
              term: number;
              /** @description Whether the page still holds this term’s adder */
              live: boolean;
              /** @description What the page went through, in order, as the service measured it */
              steps: ({
                  step: "mapped" | "recycled" | "written" | "sealed" | "called" | "evicted" | "unmapped";
                  /** @description The page’s protection after the step: never writable and executable at once */
                  protection: "rw-" | "r-x" | "none";
                  /** @description How long the step took, in microseconds, where it was measured */
                  durationUs: number | null;
                  /** @description written: the code’s bytes; called: the calls */
                  count?: number;
                  /** @description recycled: the term whose evicted page this was; evicted: the term it went on to hold */
                  term?: number;
                })[];
            };
          };
        };
      };
      /** @description A request the service cannot take: malformed HTTP, or a parameter, query or body field it refuses (the message names it) */
      400: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description No such adder (it is not compiled) */
      404: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request did not arrive in full within the request timeout */
      408: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A path segment longer than 64 characters */
      414: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description An Expect header other than 100-continue */
      417: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request headers are larger than the server accepts */
      431: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A fault of the service itself; the details are in its log */
      500: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description Overloaded, out of memory for a new page, every adder in use by streamed batches, or shutting down; retry after Retry-After */
      503: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: 2 when overloaded, 1 otherwise */
          "Retry-After"?: number;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
    };
  };
  /**
   * Release an adder: its page is unmapped
   * @description Costs the client one compile of its quota, as the adder’s owner will pay one to compile it again.
   */
  releaseAdder: {
    parameters: {
      path: {
        /**
         * @description The adder’s term: a decimal integer from -2147483648 to 2147483647 (digits without a leading zero, with a minus for a negative number)
         * @example 5
         */
        n: string;
      };
    };
    responses: {
      /** @description Released */
      204: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: never;
      };
      /** @description A request the service cannot take: malformed HTTP, or a parameter, query or body field it refuses (the message names it) */
      400: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description No such adder (it is not compiled) */
      404: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request did not arrive in full within the request timeout */
      408: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The adder is in use by a streamed binary batch; it can be released once that ends */
      409: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The body is larger than the route accepts */
      413: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A path segment longer than 64 characters */
      414: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A body in a content type the route does not take */
      415: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description An Expect header other than 100-continue */
      417: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The client is over its compile quota; Retry-After says when it may compile again */
      429: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: until the client’s quota window ends */
          "Retry-After"?: number;
          /** @description The compile quota, as draft-ietf-httpapi-ratelimit-headers-11 writes it: the policy `"compiles"`, its quota `q` (compiles and releases per client) and window `w` (seconds) */
          "RateLimit-Policy"?: string;
          /** @description What is left of the quota (draft-ietf-httpapi-ratelimit-headers-11): `r=0` compiles for the next `t` seconds, the same as Retry-After */
          RateLimit?: string;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request headers are larger than the server accepts */
      431: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A fault of the service itself; the details are in its log */
      500: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description Overloaded, out of memory for a new page, every adder in use by streamed batches, or shutting down; retry after Retry-After */
      503: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: 2 when overloaded, 1 otherwise */
          "Retry-After"?: number;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
    };
  };
  /**
   * Whether an adder is compiled, without decoding it (costs one lookup)
   * @description 200 if the adder for n is compiled, 404 if not, without a body. Does not compile.
   */
  headAdder: {
    parameters: {
      path: {
        /**
         * @description The adder’s term: a decimal integer from -2147483648 to 2147483647 (digits without a leading zero, with a minus for a negative number)
         * @example 5
         */
        n: string;
      };
    };
    responses: {
      /** @description Compiled: the status and headers of a GET, without its body */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": {
            term: number;
            /** @description Inputs evaluated by this adder */
            calls: number;
            /** Format: date-time */
            compiledAt: string;
            /** @description The machine code as read back from the executable page, hex bytes separated by spaces: the adder, int3 padding, then the batch adder at offset 16. With blinding (the default) each loads its term as `mov eax, term ^ key; xor eax, key` with a random key per page; without, the adder is the seed program's 11 bytes */
            code: string;
            /** @description What the page was generated for */
            target: string;
            /** @description Where each function of the page starts in its code */
            entries: {
                name: string;
                offset: number;
                signature: string;
                /** @description Where its arguments arrive and its result leaves, as the architecture’s calling convention says */
                registers: string;
              }[];
            /** @description Decoded from the bytes in the executable page (by iced-x86 on x86-64), with their encoding fields */
            disassembly: ({
                /** @description Offset from the start of the code, in bytes */
                offset: number;
                bytes: string;
                /** @description Intel syntax on x86-64, the Arm ARM’s on arm64 */
                text: string;
                length: number;
                /** @description iced-x86's name for the mnemonic; on arm64, the Arm ARM heading's (MOVZ) */
                mnemonic: string;
                /** @description The opcode in Intel SDM notation; on arm64, the encoding diagram from bit 31 down */
                opCodeString: string;
                instructionString: string;
                /** @description A reference page for the mnemonic, or null */
                reference: string | null;
                /** @description What it does, in plain words */
                operation: string;
                /** @description The fields, in order, tiling the instruction exactly */
                fields: ({
                    kind: "prefix" | "rex" | "vex" | "opcode" | "modrm" | "sib" | "displacement" | "immediate" | "word";
                    /** @description Offset of the field in the instruction */
                    offset: number;
                    length: number;
                    bytes: string;
                    bits?: {
                        name: string;
                        value: string;
                        meaning: string;
                        /** @description An A64 word’s bits only: the highest bit of the group */
                        high?: number;
                        /** @description An A64 word’s bits only: the lowest bit of the group */
                        low?: number;
                      }[];
                    description: string;
                  })[];
              })[];
            page: {
              /** @description The page’s size */
              bytes: number;
              /** @description How many of its bytes the code fills */
              codeBytes: number;
            };
            /** @description The page’s random key and blinded term, or null without blinding */
            blinding: {
              key: number;
              /** @description `term ^ key`, what the page holds instead of the term */
              blindedTerm: number;
            } | null;
            /** @description Offsets where the term’s own four bytes (little-endian) appear in the code. With blinding no immediate holds them: they appear only where bytes every page has spell them, such as the int3 padding for 0xcccccccc */
            termBytesAt: number[];
            /** @description The life of the page that holds, or last held, an adder */
            life: {
              term: number;
              /** @description Whether the page still holds this term’s adder */
              live: boolean;
              /** @description What the page went through, in order, as the service measured it */
              steps: ({
                  step: "mapped" | "recycled" | "written" | "sealed" | "called" | "evicted" | "unmapped";
                  /** @description The page’s protection after the step: never writable and executable at once */
                  protection: "rw-" | "r-x" | "none";
                  /** @description How long the step took, in microseconds, where it was measured */
                  durationUs: number | null;
                  /** @description written: the code’s bytes; called: the calls */
                  count?: number;
                  /** @description recycled: the term whose evicted page this was; evicted: the term it went on to hold */
                  term?: number;
                })[];
            };
          };
        };
      };
      /** @description A request the service cannot take: malformed HTTP, or a parameter, query or body field it refuses (the message names it) */
      400: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description No such adder (it is not compiled) */
      404: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request did not arrive in full within the request timeout */
      408: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A path segment longer than 64 characters */
      414: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description An Expect header other than 100-continue */
      417: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request headers are larger than the server accepts */
      431: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A fault of the service itself; the details are in its log */
      500: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description Overloaded, out of memory for a new page, every adder in use by streamed batches, or shutting down; retry after Retry-After */
      503: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: 2 when overloaded, 1 otherwise */
          "Retry-After"?: number;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
    };
  };
  /**
   * The life of the page that holds, or last held, an adder
   * @description How the page was mapped (or recycled from an evicted adder), written, sealed and called, and, for a page whose adder has gone (one of the last 64), how it was evicted or unmapped. 404 when the service has no record of it.
   */
  getAdderLife: {
    parameters: {
      path: {
        /**
         * @description The adder’s term: a decimal integer from -2147483648 to 2147483647 (digits without a leading zero, with a minus for a negative number)
         * @example 5
         */
        n: string;
      };
    };
    responses: {
      /** @description The life of the page that holds, or last held, an adder */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": {
            term: number;
            /** @description Whether the page still holds this term’s adder */
            live: boolean;
            /** @description What the page went through, in order, as the service measured it */
            steps: ({
                step: "mapped" | "recycled" | "written" | "sealed" | "called" | "evicted" | "unmapped";
                /** @description The page’s protection after the step: never writable and executable at once */
                protection: "rw-" | "r-x" | "none";
                /** @description How long the step took, in microseconds, where it was measured */
                durationUs: number | null;
                /** @description written: the code’s bytes; called: the calls */
                count?: number;
                /** @description recycled: the term whose evicted page this was; evicted: the term it went on to hold */
                term?: number;
              })[];
          };
        };
      };
      /** @description A request the service cannot take: malformed HTTP, or a parameter, query or body field it refuses (the message names it) */
      400: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description No such adder (it is not compiled) */
      404: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request did not arrive in full within the request timeout */
      408: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A path segment longer than 64 characters */
      414: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description An Expect header other than 100-continue */
      417: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request headers are larger than the server accepts */
      431: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A fault of the service itself; the details are in its log */
      500: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description Overloaded, out of memory for a new page, every adder in use by streamed batches, or shutting down; retry after Retry-After */
      503: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: 2 when overloaded, 1 otherwise */
          "Retry-After"?: number;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
    };
  };
  /**
   * The life of the page that holds, or last held, an adder
   * @description How the page was mapped (or recycled from an evicted adder), written, sealed and called, and, for a page whose adder has gone (one of the last 64), how it was evicted or unmapped. 404 when the service has no record of it.
   */
  headAdderLife: {
    parameters: {
      path: {
        /**
         * @description The adder’s term: a decimal integer from -2147483648 to 2147483647 (digits without a leading zero, with a minus for a negative number)
         * @example 5
         */
        n: string;
      };
    };
    responses: {
      /** @description The life of the page that holds, or last held, an adder */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": {
            term: number;
            /** @description Whether the page still holds this term’s adder */
            live: boolean;
            /** @description What the page went through, in order, as the service measured it */
            steps: ({
                step: "mapped" | "recycled" | "written" | "sealed" | "called" | "evicted" | "unmapped";
                /** @description The page’s protection after the step: never writable and executable at once */
                protection: "rw-" | "r-x" | "none";
                /** @description How long the step took, in microseconds, where it was measured */
                durationUs: number | null;
                /** @description written: the code’s bytes; called: the calls */
                count?: number;
                /** @description recycled: the term whose evicted page this was; evicted: the term it went on to hold */
                term?: number;
              })[];
          };
        };
      };
      /** @description A request the service cannot take: malformed HTTP, or a parameter, query or body field it refuses (the message names it) */
      400: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description No such adder (it is not compiled) */
      404: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request did not arrive in full within the request timeout */
      408: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A path segment longer than 64 characters */
      414: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description An Expect header other than 100-continue */
      417: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description The request headers are larger than the server accepts */
      431: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description A fault of the service itself; the details are in its log */
      500: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
      /** @description Overloaded, out of memory for a new page, every adder in use by streamed batches, or shutting down; retry after Retry-After */
      503: {
        headers: {
          "X-Request-Id": components["headers"]["RequestId"];
          /** @description Seconds to wait before retrying: 2 when overloaded, 1 otherwise */
          "Retry-After"?: number;
        };
        content: {
          "application/json": components["schemas"]["ErrorResponse"];
        };
      };
    };
  };
}

import type { Caller } from "./caller";

/** A method the Worker may call: the caller first (checked by the kernel), then its arguments. */
export type ApiMethod = (caller: Caller, ...args: never[]) => unknown;

/**
 * A feature's RPC surface: its methods, and its policy in one place — which methods may be
 * called without a live workspace owned by the caller (`unchecked`: creating one, a credential
 * check), and which are writes that must not interleave with another (`exclusive`).
 */
export interface FeatureApi<M extends Record<string, ApiMethod> = Record<string, ApiMethod>> {
  readonly methods: M;
  readonly unchecked: ReadonlySet<string>;
  readonly exclusive: ReadonlySet<string>;
}

export function featureApi<M extends Record<string, ApiMethod>>(
  methods: M,
  policy: { unchecked?: (keyof M & string)[]; exclusive?: (keyof M & string)[] } = {},
): FeatureApi<M> {
  return {
    methods,
    unchecked: new Set(policy.unchecked ?? []),
    exclusive: new Set(policy.exclusive ?? []),
  };
}

/** A feature's methods as the Worker calls them: no caller (the client adds it), awaited values. */
export type Remote<A> =
  A extends FeatureApi<infer M>
    ? {
        [K in keyof M]: M[K] extends (caller: Caller, ...args: infer P) => infer R
          ? (...args: P) => Promise<Awaited<R>>
          : never;
      }
    : never;

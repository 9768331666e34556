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

/** A facade's methods bound to a caller: how one module of the DO calls another's facade. */
export type Bound<A> =
  A extends FeatureApi<infer M>
    ? {
        [K in keyof M]: M[K] extends (caller: Caller, ...args: infer P) => infer R
          ? (...args: P) => R
          : never;
      }
    : never;

/**
 * `api`'s methods acting as `caller`, called in the DO itself (the caller was checked by the
 * call that brought the request here). They throw their ApiErrors as they are.
 */
export function bindFacade<A extends FeatureApi>(api: A, caller: Caller): Bound<A> {
  const bound: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(api.methods)) {
    bound[name] = (...args: unknown[]) =>
      (method as (caller: Caller, ...rest: unknown[]) => unknown)(caller, ...args);
  }
  return bound as Bound<A>;
}

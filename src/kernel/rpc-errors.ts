import { ApiError, type ErrorCode } from "../http/errors";

// An ApiError thrown inside the Durable Object travels back to the Worker as a value, not as
// an exception: an RPC exception loses its class and fields, and workerd logs every one as
// "uncaught" — an ordinary 404 is not an incident. Anything else still throws, as it should.

export type RpcResult<T> =
  | { ok: true; value: T }
  | { ok: false; error: { code: ErrorCode; message: string; details?: unknown } };

/** Runs a DO method body and returns its value, or the ApiError it threw, as an RpcResult. */
export async function rpcBoundary<T>(body: () => T | Promise<T>): Promise<RpcResult<T>> {
  try {
    return { ok: true, value: await body() };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return {
      ok: false,
      error: { code: error.code, message: error.message, details: error.details },
    };
  }
}

/** The Worker's side: the value, or the DO's ApiError thrown again here. */
export function unwrapRpc<T>(result: RpcResult<T>): T {
  if (result.ok) return result.value;
  throw new ApiError(result.error.code, result.error.message, { details: result.error.details });
}

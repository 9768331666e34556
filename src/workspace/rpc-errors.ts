import { ApiError, ERROR_STATUS, type ErrorCode } from "../errors";

// Only an error's message reliably crosses a Durable Object RPC boundary, so an ApiError
// travels as a tagged JSON message and is rebuilt on the Worker's side.
const TAG = "__api_error__:";

export function toRpcError(error: unknown): unknown {
  if (error instanceof ApiError) {
    return new Error(
      TAG + JSON.stringify({ code: error.code, message: error.message, details: error.details }),
    );
  }
  return error;
}

export function fromRpcError(error: unknown): unknown {
  if (!(error instanceof Error) || !error.message.startsWith(TAG)) return error;
  try {
    const parsed = JSON.parse(error.message.slice(TAG.length)) as {
      code: string;
      message: string;
      details?: unknown;
    };
    if (parsed.code in ERROR_STATUS) {
      return new ApiError(parsed.code as ErrorCode, parsed.message, { details: parsed.details });
    }
  } catch {
    // not ours after all
  }
  return error;
}

/** Runs a DO method body so that an ApiError it throws reaches the caller intact. */
export async function rpcBoundary<T>(body: () => T | Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw toRpcError(error);
  }
}

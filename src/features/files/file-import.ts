import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../http/app-env";
import { parsePart } from "../../http/by-hand-route";
import { ApiError } from "../../http/errors";
import { type CappedStream, capStream } from "./capped-stream";
import { contentTypeFor, DEFAULT_CONTENT_TYPE } from "./content-types";
import type { FileEntry } from "./file-index";
import type { WriteConditions } from "./preconditions";
import { workspaceQuotaBytes } from "./quota";
import { storeFile } from "./upload-flow";
import { fetchRemote, remoteError, urlImportConfig } from "./url-import";

// `POST …/files?path=` with a JSON body: `{url, size, mime_type}` imports the bytes at `url`
// (through the SSRF guard, files/url-import.ts), `{size: 0}` creates an empty file. The bytes
// stream from the remote to R2 through the same prepare → put → commit as any upload; nothing is
// stored unless the whole body arrived, within the size and time limits and matching `size`.

/**
 * `type/subtype` with optional parameters; no line breaks, so it is safe as a header value. Both
 * cases are spelled out instead of an `i` flag: the document publishes the pattern's source, and
 * a JSON Schema pattern has no flags.
 */
const MEDIA_TYPE =
  /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[^"\r\n]*"|[A-Za-z0-9!#$&^_.+-]+))*$/;

const MimeTypeSchema = z.string().max(255).regex(MEDIA_TYPE, "not a media type").openapi({
  description:
    "The file's content type; without it: by the path's extension, else the remote's Content-Type",
  example: "text/csv",
});

const UrlSchema = z.string().min(1).max(2048).openapi({
  format: "uri",
  description:
    "An https URL on the public internet (no credentials; loopback, private, link-local and metadata addresses refused, also after a redirect; at most 3 redirects)",
  example: "https://example.com/data.csv",
});

const SizeSchema = z.number().int().min(0).openapi({
  description:
    "The expected size in bytes: a body of another size is refused and nothing is stored",
});

const ImportFromUrlSchema = z
  .object({ url: UrlSchema, size: SizeSchema.optional(), mime_type: MimeTypeSchema.optional() })
  .strict()
  .openapi("ImportFileFromUrl");

const EmptyFileSchema = z
  .object({
    size: z.literal(0).openapi({ description: "0: create an empty file" }),
    url: z.null().optional(),
    mime_type: MimeTypeSchema.optional(),
  })
  .strict()
  .openapi("CreateEmptyFile");

/** What the document shows: exactly the two shapes `parseImportRequest` accepts. */
export const CreateFileJsonSchema = z.union([EmptyFileSchema, ImportFromUrlSchema]);

/** One permissive shape first, so a bad field is named in the 400; then the rule between them. */
const ParseSchema = z
  .object({
    url: UrlSchema.nullable().optional(),
    size: SizeSchema.optional(),
    mime_type: MimeTypeSchema.optional(),
  })
  .strict();

export type ImportRequest = z.infer<typeof ParseSchema>;

export function parseImportRequest(value: unknown): ImportRequest {
  const input = parsePart(ParseSchema, value, "body");
  if (!input.url && input.size !== 0) {
    throw new ApiError("invalid_request", "give a url to import, or size 0 for an empty file", {
      details: [{ field: "url", location: "body", message: "required unless size is 0" }],
    });
  }
  return input;
}

/** mime_type, else the path's extension, else the remote's type, else opaque bytes. */
function contentTypeOf(path: string, mimeType: string | undefined, remote: string | null) {
  if (mimeType) return mimeType;
  const byExtension = contentTypeFor(path);
  if (byExtension !== DEFAULT_CONTENT_TYPE) return byExtension;
  const remoteType = remote?.trim();
  return remoteType && MEDIA_TYPE.test(remoteType) && remoteType.length <= 255
    ? remoteType
    : DEFAULT_CONTENT_TYPE;
}

const tooLarge = (bytes: number | null, limit: number) =>
  new ApiError(
    "too_large",
    `the URL's body ${bytes === null ? "is over" : `is ${bytes} bytes, over`} the import limit of ${limit} bytes`,
    {
      details: {
        field: "url",
        reason: "too_large",
        max_bytes: limit,
        ...(bytes === null ? {} : { size: bytes }),
      },
    },
  );

const sizeMismatch = (expected: number, actual: string) =>
  remoteError("size_mismatch", `size says ${expected} bytes; the URL's body ${actual}`, {
    field: "size",
    expected,
  });

/** Why a stream stopped, as the answer to give; null if it did not stop on its own account. */
function streamError(
  capped: CappedStream,
  limit: number,
  expected: number | undefined,
  timeoutMs: number,
) {
  switch (capped.failure) {
    case "too_large":
      return tooLarge(null, limit);
    case "size_mismatch":
      return sizeMismatch(
        expected ?? 0,
        capped.bytes > (expected ?? 0) ? "is longer" : `ended after ${capped.bytes} bytes`,
      );
    case "timeout":
      return timeout(timeoutMs);
    case "interrupted":
      return remoteError("interrupted", "the URL's body was cut off before its end");
    default:
      return null;
  }
}

const timeout = (ms: number) =>
  remoteError("timeout", `the import did not finish within ${ms} ms; nothing was stored`, {
    timeout_ms: ms,
  });

const CREATE_ONLY: WriteConditions = { ifMatch: null, ifNoneMatch: "*" };

export async function importFile(
  c: Context<AppEnv>,
  path: string,
  input: ImportRequest,
): Promise<{ entry: FileEntry; created: boolean }> {
  if (!input.url) {
    const contentType = contentTypeOf(path, input.mime_type, null);
    return storeFile(c, path, { stream: null, size: 0 }, CREATE_ONLY, { contentType });
  }
  const config = urlImportConfig(c.env);
  // Never more than the workspace could hold; the DO checks what it holds now.
  const limit = Math.min(config.maxBytes, workspaceQuotaBytes(c.env));
  if (input.size !== undefined && input.size > limit) throw tooLarge(input.size, limit);
  const signal = AbortSignal.timeout(config.timeoutMs);
  let remote: Awaited<ReturnType<typeof fetchRemote>>;
  try {
    remote = await fetchRemote(input.url, config, signal);
  } catch (error) {
    if (signal.aborted && !(error instanceof ApiError)) throw timeout(config.timeoutMs);
    throw error;
  }
  const { length } = remote;
  const refuse = async (error: ApiError) => {
    await remote.body?.cancel().catch(() => undefined);
    return error;
  };
  if (input.size !== undefined && length !== undefined && length !== input.size) {
    throw await refuse(sizeMismatch(input.size, `is ${length} bytes (Content-Length)`));
  }
  if (length !== undefined && length > limit) throw await refuse(tooLarge(length, limit));
  const expected = length ?? input.size;
  const contentType = contentTypeOf(path, input.mime_type, remote.contentType);
  if (!remote.body || length === 0) {
    await remote.body?.cancel().catch(() => undefined);
    if (expected) throw sizeMismatch(expected, "is empty");
    return storeFile(c, path, { stream: null, size: 0 }, CREATE_ONLY, { contentType });
  }
  const capped = capStream(remote.body, {
    limit: expected ?? limit,
    exact: expected !== undefined,
    signal,
  });
  try {
    return await storeFile(
      c,
      path,
      // An empty body is stored without reading it: a 0 only the client claims is read and checked.
      { stream: capped.stream, size: expected === 0 ? undefined : expected },
      CREATE_ONLY,
      { contentType },
    );
  } catch (error) {
    // Refused before the body was read (a conflict, the quota): stop the download.
    await capped.stream.cancel().catch(() => undefined);
    throw streamError(capped, limit, expected, config.timeoutMs) ?? error;
  }
}

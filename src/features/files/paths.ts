import { ApiError } from "../../http/errors";

// Workspace paths as users see them: NFC, `/`-separated, relative (no leading `/`). Anything that
// could mean something else to a filesystem, a URL or a terminal is refused, not repaired, so two
// spellings never name one file and no path can step outside the workspace.

export const PATH_LIMITS = { segmentBytes: 255, pathBytes: 1024 } as const;

const encoder = new TextEncoder();
// C0 and C1 control characters and DEL (NUL among them).
const isControl = (path: string) =>
  Array.from(path).some((char) => {
    const code = char.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });

/** Why a path is refused, or null when it is acceptable (after `normalizePath`). */
export function pathProblem(path: string): string | null {
  if (path === "") return "the path is empty";
  if (isControl(path)) return "the path contains a control character";
  if (path.includes("\\")) return "the path contains a backslash; use '/'";
  if (encoder.encode(path).byteLength > PATH_LIMITS.pathBytes) {
    return `the path is longer than ${PATH_LIMITS.pathBytes} bytes`;
  }
  for (const segment of path.split("/")) {
    if (segment === "") return "the path has an empty segment ('//' or a trailing '/')";
    if (segment === "." || segment === "..") return `the path has a '${segment}' segment`;
    if (encoder.encode(segment).byteLength > PATH_LIMITS.segmentBytes) {
      return `a path segment is longer than ${PATH_LIMITS.segmentBytes} bytes`;
    }
  }
  return null;
}

/**
 * The canonical form of a user's path: NFC, one leading `/` dropped (and one trailing `/`, so
 * `dir/` names the directory `dir`). Refused with a 400 naming `field` when not acceptable.
 */
export function normalizePath(raw: string, field = "path"): string {
  const path = canonicalPath(raw);
  const problem = pathProblem(path);
  if (problem) {
    throw new ApiError("invalid_request", `${field}: ${problem}`, {
      details: [{ field, message: problem }],
    });
  }
  return path;
}

/**
 * The one normaliser of a path's spelling: NFC, a leading and a trailing `/` dropped. With
 * `resolveDots` (a shell's paths, relative to its mount: "/a/./b/../c" is "a/c") empty, `.` and
 * `..` segments are resolved lexically, never above the root; without, they are left for
 * `pathProblem` to refuse. Nothing is checked here: callers check with `pathProblem`.
 */
export function canonicalPath(raw: string, options: { resolveDots?: boolean } = {}): string {
  const path = raw.normalize("NFC");
  if (options.resolveDots) {
    const parts: string[] = [];
    for (const segment of path.split("/")) {
      if (segment === "" || segment === ".") continue;
      if (segment === "..") parts.pop();
      else parts.push(segment);
    }
    return parts.join("/");
  }
  return path.replace(/^\//, "").replace(/\/$/, "");
}

/** Like `normalizePath`, but "" (or "/") names the workspace's root directory. */
export function normalizeDirectory(raw: string | undefined, field = "path"): string {
  if (raw === undefined || raw === "" || raw === "/") return "";
  return normalizePath(raw, field);
}

/**
 * A path as a model writes it in a tool call: `.` and `./x` relative to the root, and
 * `/workspace/…` (where the shell mounts the files) meaning the same as without it. What is
 * left goes through the API's own rules.
 */
export function toolPath(raw: string): string {
  let path = raw.trim();
  if (path === "/workspace" || path.startsWith("/workspace/")) path = path.slice(10);
  while (path.startsWith("./")) path = path.slice(2);
  return path === "." ? "" : path;
}

/** The directory holding `path` ("" for the root). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Every directory above `path`, outermost first: `a/b/c` → `a`, `a/b`. */
export function ancestorsOf(path: string): string[] {
  const parts = path.split("/");
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

/** Whether `path` is `directory` itself or lies under it. */
export function isWithin(path: string, directory: string): boolean {
  return directory === "" || path === directory || path.startsWith(`${directory}/`);
}

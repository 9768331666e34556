// The workspace's resources by URI: `workspace://{ws}` (the record), `workspace://{ws}/files/{path}`
// and `workspace://{ws}/threads/{id}` — `{ws}` is the workspace id, a path's segments are
// percent-encoded as in a URL.

export type ResourceRef =
  | { kind: "workspace" }
  | { kind: "file"; path: string }
  | { kind: "thread"; threadId: string };

export const workspaceUri = (ws: string) => `workspace://${ws}`;

export const fileUri = (ws: string, path: string) =>
  `workspace://${ws}/files/${path.split("/").map(encodeURIComponent).join("/")}`;

export const threadUri = (ws: string, threadId: string) =>
  `workspace://${ws}/threads/${encodeURIComponent(threadId)}`;

/** What `uri` names in workspace `ws`, or null when it is not one of its resources. */
export function parseResourceUri(ws: string, uri: string): ResourceRef | null {
  const root = workspaceUri(ws);
  if (uri === root || uri === `${root}/`) return { kind: "workspace" };
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return null;
    }
  };
  if (uri.startsWith(`${root}/files/`)) {
    const segments = uri.slice(`${root}/files/`.length).split("/").map(decode);
    if (segments.some((segment) => segment === null || segment === "")) return null;
    return { kind: "file", path: segments.join("/") };
  }
  if (uri.startsWith(`${root}/threads/`)) {
    const threadId = decode(uri.slice(`${root}/threads/`.length));
    return threadId ? { kind: "thread", threadId } : null;
  }
  return null;
}

import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./http/app-env";
import { type WorkspaceClient, workspaceClient } from "./kernel/workspace-client";

// The workspace client is the kernel's; http/ resolves `{ws}` without importing the kernel
// (it imports no feature either, and the kernel reaches every feature), so the app hands it the
// way to open one on the context, and declares the variable's type here.

declare module "./http/app-env" {
  interface AppVariables {
    /** The workspace a `/v1/workspaces/{ws}/…` route addresses (http/resolve-workspace.ts). */
    workspace: WorkspaceClient;
  }
}

/** Puts `openWorkspace` on every request's context, for resolveWorkspace. */
export const workspaceOpener = createMiddleware<AppEnv>(async (c, next) => {
  c.set("openWorkspace", (workspaceId, auth) => workspaceClient(c.env, workspaceId, auth));
  await next();
});

export interface SignedUploadGrant {
  nonce: string;
  path: string;
  maxSize: number;
  contentType: string | null;
}

/** What the auth middleware learned about the caller's key. */
export interface AuthContext {
  keyId: string;
  accountId: string;
  /** Set for a runner token: the one workspace this key may reach. */
  workspaceId: string | null;
}

/**
 * The context's variables. `workspace` (the kernel's WorkspaceClient: the workspace a
 * `/v1/workspaces/{ws}/…` route addresses, resolved from id or slug) is declared onto this
 * interface by src/workspace-opener.ts, so that http/ never imports the kernel.
 */
export interface AppVariables {
  requestId: string;
  auth: AuthContext;
  /** Opens the workspace client resolveWorkspace sets as `workspace` (src/workspace-opener.ts). */
  openWorkspace: (workspaceId: string, auth: AuthContext) => AppVariables["workspace"];
  /** Set by signedUploadAuth on the signed upload route: what the verified URL allows. */
  signedUpload?: SignedUploadGrant;
  /**
   * Set by the idempotency middleware on a retry of a stream route (whose answer is not kept):
   * the first answer's headers, naming what it streamed, for the handler to answer that again.
   */
  idempotentReplay?: Record<string, string>;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}

import type { WorkspaceClient } from "../kernel/workspace-client";

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

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    auth: AuthContext;
    /** The workspace a `/v1/workspaces/{ws}/…` route addresses, resolved from id or slug. */
    workspace: WorkspaceClient;
    /** Set by signedUploadAuth on the signed upload route: what the verified URL allows. */
    signedUpload?: SignedUploadGrant;
  };
}

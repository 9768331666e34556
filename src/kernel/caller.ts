/** Who is calling, as the Worker authenticated it. The DO trusts this and nothing else. */
export interface Caller {
  accountId: string;
  /** The API key (or runner token) id, recorded as the actor of changes. */
  actor: string | null;
}

/** The caller of what the DO does by itself (an interrupted execution ended at wake). */
export const SYSTEM: Caller = { accountId: "", actor: null };

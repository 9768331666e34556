import { ApiError } from "../../http/errors";
import { randomToken, timingSafeEqual } from "../../lib/crypto";
import { str } from "../../lib/sql-values";

// Signed upload URLs: a URL that lets whoever holds it upload one file to one path, up to a size,
// until it expires, without an API key. The signature is an HMAC-SHA256 over the workspace id,
// path, size cap, expiry and a nonce, under a random key each workspace's DO makes on first use
// and keeps in its own SQLite: no secret to configure, and only that workspace can verify. The
// nonce is also a row here, recording who issued the URL (the upload is theirs) and whether it
// was used: it is consumed in the same transaction that commits the file, so it works once.

export const SIGNED_UPLOAD_TTL_DEFAULT_S = 900;
export const SIGNED_UPLOAD_TTL_MAX_S = 24 * 60 * 60;

const NONCE_PATTERN = "upl_[A-Za-z0-9_-]{24}";
export const NonceRegex = new RegExp(`^${NONCE_PATTERN}$`);

const SIGNING_KEY = "upload_signing_key";
const encoder = new TextEncoder();

/** What a signed URL carries; every field but the workspace is in its query or path. */
export interface UploadGrant {
  workspaceId: string;
  nonce: string;
  path: string;
  maxSize: number;
  /** Unix seconds. */
  expires: number;
  sig: string;
}

/** Who issued the URL: the upload is committed as them. */
export interface UploadHolder {
  accountId: string;
  actor: string | null;
  contentType: string | null;
}

/** The signed text: fields joined by a newline, which none of them can contain. */
const signedText = (grant: Omit<UploadGrant, "sig">) =>
  [
    "workspaces-upload-v1",
    grant.workspaceId,
    grant.path,
    grant.maxSize,
    grant.expires,
    grant.nonce,
  ].join("\n");

const base64url = (bytes: ArrayBuffer) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

const refused = (message: string) => new ApiError("forbidden", message);

export class SignedUploads {
  private key: Promise<CryptoKey> | null = null;

  constructor(private readonly sql: SqlStorage) {}

  /** Records a new URL's nonce and signs it. */
  async issue(
    workspaceId: string,
    input: { path: string; maxSize: number; expires: number; contentType: string | null },
    holder: Omit<UploadHolder, "contentType">,
    now: number,
  ): Promise<UploadGrant> {
    // Expired URLs are refused by their signature alone; their rows are no longer needed.
    this.sql.exec("DELETE FROM signed_uploads WHERE expires_at <= ?", now);
    const nonce = `upl_${randomToken(18)}`;
    this.sql.exec(
      `INSERT INTO signed_uploads (nonce, path, max_size, content_type, account_id, actor,
         created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      nonce,
      input.path,
      input.maxSize,
      input.contentType,
      holder.accountId,
      holder.actor,
      now,
      input.expires * 1000,
    );
    const unsigned = { workspaceId, nonce, path: input.path, maxSize: input.maxSize };
    const grant = { ...unsigned, expires: input.expires };
    return { ...grant, sig: await this.sign(grant) };
  }

  /**
   * The URL's issuer, if the signature is this workspace's over exactly these fields, the URL
   * has not expired and was not used. A bad signature or expiry is a 403, a used URL a 409.
   */
  async verify(grant: UploadGrant, now: number): Promise<UploadHolder> {
    if (!timingSafeEqual(await this.sign(grant), grant.sig)) {
      throw refused(
        "the upload URL's signature is not valid (a field was changed, or it is for another workspace)",
      );
    }
    if (grant.expires * 1000 <= now) {
      throw refused(`the upload URL expired at ${new Date(grant.expires * 1000).toISOString()}`);
    }
    const row = this.sql
      .exec("SELECT * FROM signed_uploads WHERE nonce = ?", grant.nonce)
      .toArray()[0];
    if (!row) throw refused("the upload URL is not valid");
    if (row.used_at !== null) throw new ApiError("conflict", "the upload URL was already used");
    return {
      accountId: String(row.account_id),
      actor: str(row.actor),
      contentType: str(row.content_type),
    };
  }

  /** Uses the URL up; inside the commit's transaction, so a failed commit leaves it unused. */
  consume(nonce: string, now: number): void {
    const used = this.sql
      .exec(
        "UPDATE signed_uploads SET used_at = ? WHERE nonce = ? AND used_at IS NULL RETURNING nonce",
        now,
        nonce,
      )
      .toArray();
    if (used.length === 0) throw new ApiError("conflict", "the upload URL was already used");
  }

  /** The DO's storage was wiped: a key made later is a new one. */
  forgetKey(): void {
    this.key = null;
  }

  private async sign(grant: Omit<UploadGrant, "sig">): Promise<string> {
    this.key ??= this.loadKey();
    const mac = await crypto.subtle.sign("HMAC", await this.key, encoder.encode(signedText(grant)));
    return base64url(mac);
  }

  /** The workspace's signing key, made on first use (synchronously, so two callers agree). */
  private loadKey(): Promise<CryptoKey> {
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
      SIGNING_KEY,
      randomToken(32),
    );
    const secret = String(
      this.sql.exec("SELECT value FROM meta WHERE key = ?", SIGNING_KEY).one().value,
    );
    return crypto.subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
  }
}

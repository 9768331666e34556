// Secrets are not in wrangler.toml, so `wrangler types` cannot see them; they are declared here.
declare namespace Cloudflare {
  interface Env {
    /** Bearer token for /v1/admin/*; when unset those routes answer 404. */
    ADMIN_TOKEN?: string;
    /** The OpenAI-compatible endpoint's API key (`wrangler secret put MODEL_API_KEY`). */
    MODEL_API_KEY?: string;
    /** Workers AI, when an `[ai]` binding is added to wrangler.toml (see there). */
    AI?: Ai;
  }
}

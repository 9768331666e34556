// Secrets are not in wrangler.toml, so `wrangler types` cannot see them; they are declared here.
declare namespace Cloudflare {
  interface Env {
    /** Bearer token for /v1/admin/*; when unset those routes answer 404. */
    ADMIN_TOKEN?: string;
  }
}

import { ApiError } from "../../http/errors";
import { assertPublicHost, checkUrl, type GuardConfig } from "../files/url-guard";
import { renderTemplate } from "./args";
import type { ArgValue, HttpTemplate } from "./command.schemas";

// An http command: a webhook call rendered from its template. `${args.name}` is replaced by the
// argument's value: percent-encoded in the URL (so a value cannot add a path or a host), as is
// in header values (a CR or LF fails the run), and inside the body's strings — a JSON body stays
// JSON whatever the values hold. The URL goes through the URL import's SSRF guard (https only
// unless configured, no credentials, no local names, every resolved address public); redirects
// are not followed (a 3xx is the answer). Output: the status line on stderr, the body on stdout.

export interface HttpRequestPlan {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

export interface HttpOutcome {
  status: number;
  refused: string | null;
}

function renderJson(value: unknown, args: Record<string, ArgValue>): unknown {
  if (typeof value === "string") return renderTemplate(value, args);
  if (Array.isArray(value)) return value.map((item) => renderJson(item, args));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, renderJson(item, args)]),
    );
  }
  return value;
}

/** The request an http command makes: its template with the arguments rendered in. */
export function planRequest(
  template: HttpTemplate,
  args: Record<string, ArgValue>,
): HttpRequestPlan {
  return requestOf({
    method: template.method,
    url: renderTemplate(template.url, args, encodeURIComponent),
    headers: Object.fromEntries(
      Object.entries(template.headers).map(([name, value]) => [name, renderTemplate(value, args)]),
    ),
    body:
      typeof template.body === "string"
        ? renderTemplate(template.body, args)
        : renderJson(template.body, args),
  });
}

/**
 * A request from a template whose values are final (an http command's after its arguments, a
 * process task's after its templates): header names lowercased, a line break in a value
 * refused, a non-string body sent as JSON, no body on GET or HEAD.
 */
export function requestOf(template: HttpTemplate): HttpRequestPlan {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(template.headers)) {
    if (/[\r\n\0]/.test(value)) {
      throw new ApiError("invalid_request", `header ${name}: a value may not hold a line break`, {
        details: [{ field: `headers.${name}`, message: "line break after substitution" }],
      });
    }
    headers[name.toLowerCase()] = value;
  }
  let body: string | null = null;
  if (template.body !== undefined && template.method !== "GET" && template.method !== "HEAD") {
    if (typeof template.body === "string") {
      body = template.body;
    } else {
      body = JSON.stringify(template.body);
      headers["content-type"] ??= "application/json";
    }
  }
  return { method: template.method, url: template.url, headers, body };
}

/** Why the guard refused a URL, as one sentence for the execution's `reason`. */
const refusal = (error: unknown) =>
  error instanceof ApiError ? `url refused: ${error.message}` : null;

export async function runHttp(
  plan: HttpRequestPlan,
  guard: GuardConfig,
  signal: AbortSignal,
  onOutput: (stream: "stdout" | "stderr", bytes: Uint8Array) => void,
): Promise<HttpOutcome> {
  let url: URL;
  try {
    url = checkUrl(plan.url, guard);
    await assertPublicHost(url, guard, signal);
  } catch (error) {
    const reason = refusal(error);
    if (reason === null) throw error;
    return { status: 0, refused: reason };
  }
  const response = await fetch(url, {
    method: plan.method,
    headers: { "user-agent": "workspaces-api-command", ...plan.headers },
    body: plan.body,
    redirect: "manual",
    signal,
  });
  // The status line on stderr, so stdout is exactly the response body.
  onOutput(
    "stderr",
    new TextEncoder().encode(`${`HTTP ${response.status} ${response.statusText}`.trim()}\n`),
  );
  if (response.body) {
    // Read as it arrives: the recorder stops the run (through `signal`) past the output cap.
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      onOutput("stdout", value);
      if (signal.aborted) {
        await reader.cancel().catch(() => undefined);
        break;
      }
    }
  }
  return { status: response.status, refused: null };
}

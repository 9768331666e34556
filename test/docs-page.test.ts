import { describe, expect, it } from "vitest";
import { api } from "./helpers";

// /docs must work on a machine without internet access and tell no third party who reads it:
// the page names no other host, and it turns off every default of Scalar's script that would
// reach one (e2e/docs.e2e.mjs loads the page in Chromium and records its requests).

async function referencePage() {
  const page = await api<string>("GET", "/docs");
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toContain("text/html");
  return page.body;
}

/** The configuration object the page hands to `Scalar.createApiReference`. */
function configurationOf(html: string): Record<string, unknown> {
  const match = /createApiReference\('#app',\s*(\{[\s\S]*?\})\)\s*<\/script>/.exec(html);
  if (!match?.[1]) throw new Error("no createApiReference call in the page");
  return JSON.parse(match[1]) as Record<string, unknown>;
}

describe("the API reference page", () => {
  it("Should name no other host: its script, document and links are this Worker's paths", async () => {
    const html = await referencePage();
    expect(html.match(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>)]+/gi) ?? []).toEqual([]);
    expect(html).not.toMatch(/["'(]\/\/[a-z0-9]/i);
    const sources = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((match) => match[1]);
    expect(sources).toContain("/static/scalar/standalone.js");
    for (const source of sources) expect(source).toMatch(/^\/[^/]/);
    expect(configurationOf(html).url).toBe("/v1/openapi.json");
  });

  it("Should turn off what Scalar's script would fetch from its own hosts", async () => {
    const configuration = configurationOf(await referencePage());
    // Fonts from fonts.scalar.com; the page uses the system fonts.
    expect(configuration.withDefaultFonts).toBe(false);
    // The test client's requests through proxy.scalar.com: empty sends them straight to the API.
    expect(configuration.proxyUrl).toBe("");
    // The AI agent, which loads Scalar's registry through that proxy as the page opens.
    expect(configuration.agent).toEqual({ disabled: true });
    expect(configuration.telemetry).toBe(false);
    // The developer toolbar, whose sharing uploads the document to Scalar's registry.
    expect(configuration.showDeveloperTools).toBe("never");
  });
});

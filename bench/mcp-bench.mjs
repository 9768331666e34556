// The MCP benchmark, on a workspace of its own: `tools/call read_file` of a 1 KiB text file
// (POST …/mcp, the answer one SSE message) against the REST `GET …/files/{path}` of the same
// file, each for BENCH_MCP_SECONDS with BENCH_MCP_CLIENTS requests in flight, in ABBA rounds;
// and the time from `initialize` to the answer of `tools/list` (with notifications/initialized
// between), a new session each time. See bench/README.md ("MCP").
import { postJson } from "./seed.mjs";

/** tools/call read_file ≥ this × the REST GET of the same file. */
export const MCP_READ_TARGET = 0.8;
const FILE = "bench/one-kib.txt";
const ACCEPT = "application/json, text/event-stream";

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The JSON-RPC answer to request `id` in an SSE (or JSON) response. */
async function answerOf(response, id) {
  const text = await response.text();
  if (response.headers.get("content-type")?.includes("application/json")) return JSON.parse(text);
  for (const frame of text.split("\n\n")) {
    const data = /^data: (.+)$/m.exec(frame)?.[1];
    if (!data) continue;
    const message = JSON.parse(data);
    if (message.id === id) return message;
  }
  throw new Error(`no answer to ${id} in ${text.slice(0, 200)}`);
}

function mcpClient(url, apiKey) {
  const base = {
    authorization: `Bearer ${apiKey}`,
    accept: ACCEPT,
    "content-type": "application/json",
  };
  let nextId = 1;
  const post = (body, headers = {}) =>
    fetch(url, { method: "POST", headers: { ...base, ...headers }, body: JSON.stringify(body) });
  return {
    async open() {
      const id = nextId++;
      const init = await post({
        jsonrpc: "2.0",
        id,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "bench", version: "1" },
        },
      });
      if (init.status !== 200)
        throw new Error(`initialize answered ${init.status}: ${await init.text()}`);
      const session = {
        "mcp-session-id": init.headers.get("mcp-session-id"),
        "mcp-protocol-version": (await answerOf(init, id)).result.protocolVersion,
      };
      const initialized = await post(
        { jsonrpc: "2.0", method: "notifications/initialized" },
        session,
      );
      await initialized.text();
      return session;
    },
    async request(session, method, params) {
      const id = nextId++;
      const response = await post({ jsonrpc: "2.0", id, method, params }, session);
      if (response.status !== 200) throw new Error(`${method} answered ${response.status}`);
      const answer = await answerOf(response, id);
      if (answer.error || answer.result?.isError)
        throw new Error(`${method}: ${JSON.stringify(answer)}`);
      return answer.result;
    },
  };
}

/** Requests per second with `clients` in flight for `seconds`. */
async function closedLoop(clients, seconds, once) {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        await once();
        done++;
      }
    }),
  );
  return done / seconds;
}

export async function measureMcp(baseUrl, seeded, { seconds, clients, rounds, handshakes }) {
  const ws = await postJson(`${baseUrl}/v1/workspaces`, seeded.apiKey, {
    name: "Bench MCP",
    slug: "bench-mcp",
  });
  const fileUrl = `${baseUrl}/v1/workspaces/${ws.id}/files/${FILE}`;
  const auth = { authorization: `Bearer ${seeded.apiKey}` };
  const put = await fetch(fileUrl, { method: "PUT", headers: auth, body: "x".repeat(1024) });
  if (put.status !== 201) throw new Error(`PUT ${FILE} answered ${put.status}`);
  const client = mcpClient(`${baseUrl}/v1/workspaces/${ws.id}/mcp`, seeded.apiKey);
  const session = await client.open();

  const viaMcp = async () => {
    const result = await client.request(session, "tools/call", {
      name: "read_file",
      arguments: { path: FILE },
    });
    if (result.structuredContent.size !== 1024) throw new Error("read_file: wrong size");
  };
  const viaRest = async () => {
    const response = await fetch(fileUrl, { headers: auth });
    if ((await response.arrayBuffer()).byteLength !== 1024) throw new Error("GET: wrong size");
  };
  // Warm-up, then ABBA rounds: the two see the same machine state on average.
  await closedLoop(clients, 1, viaMcp);
  await closedLoop(clients, 1, viaRest);
  const rates = { mcp: [], rest: [] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ["mcp", "rest"] : ["rest", "mcp"];
    for (const kind of order) {
      console.log(`  ${kind} read (round ${round + 1} of ${rounds}, ${seconds} s)`);
      rates[kind].push(await closedLoop(clients, seconds, kind === "mcp" ? viaMcp : viaRest));
    }
  }

  const handshakeMs = [];
  for (let i = 0; i < handshakes; i++) {
    const start = performance.now();
    const fresh = await client.open();
    await client.request(fresh, "tools/list", {});
    handshakeMs.push(performance.now() - start);
  }
  return { clients, seconds, rates, handshakeMs };
}

export function mcpFigures({ rates, handshakeMs }) {
  const mcp = median(rates.mcp);
  const rest = median(rates.rest);
  const ratio = mcp / rest;
  const figures = [
    { name: "mcp_read_file_calls_per_s", value: round(mcp), unit: "req/s" },
    { name: "mcp_rest_get_file_per_s", value: round(rest), unit: "req/s" },
    {
      name: "mcp_read_file_vs_rest_get",
      value: round(ratio, 3),
      unit: "ratio",
      baseline: "mcp_rest_get_file_per_s",
      ratio: round(ratio, 3),
      target: MCP_READ_TARGET,
    },
    { name: "mcp_initialize_and_tools_list_ms", value: round(median(handshakeMs), 2), unit: "ms" },
  ];
  const checks = [
    {
      name: "mcp_read_file_vs_rest_get",
      met: ratio >= MCP_READ_TARGET,
      text: `${round(ratio, 3)} (target ≥ ${MCP_READ_TARGET})`,
    },
  ];
  return { figures, checks };
}

export function printMcpTable({ figures }) {
  console.log("\nMCP (medians)");
  for (const figure of figures) {
    console.log(`  ${figure.name.padEnd(36)} ${String(figure.value).padStart(9)} ${figure.unit}`);
  }
}

import type { Caller } from "../../kernel/caller";
import { featureApi } from "../../kernel/feature-api";
import type { Kernel } from "../../kernel/kernel";
import type { WorkspaceModule } from "../../kernel/module";
import { mcpConfig } from "./mcp-config";
import { buildServer } from "./mcp-server";
import { MessageLog } from "./message-log";
import type { FeedEvent, McpPorts } from "./ports";
import { changedUris } from "./resources";
import { MIGRATIONS } from "./schema";
import { SessionStore } from "./session-store";
import { McpSessions } from "./sessions";

// Every workspace is an MCP server (Streamable HTTP): the Worker authenticates the request and
// hands it to `handle` here, where the session lives. The module follows the workspace's feed
// to tell sessions what changed: a subscribed resource (resources/updated), the registry's
// commands (the tool and prompt lists).

/** Events that change what tools/list and prompts/list answer. */
const REGISTRY_EVENTS = new Set(["command.created", "command.updated", "command.deleted"]);

export function mcpModule(kernel: Kernel, ports: McpPorts) {
  const config = mcpConfig(kernel.env);
  const store = new SessionStore(kernel.sql);
  const log = new MessageLog(kernel.sql);
  const workspaceId = () => kernel.owner().workspaceId;
  const sessions = new McpSessions(store, log, config, (sessionId) =>
    buildServer(ports, workspaceId(), config, {
      subscribe: (uri) => store.subscribe(sessionId, uri),
      unsubscribe: (uri) => store.unsubscribe(sessionId, uri),
    }),
  );

  /** After each commit: resources/updated to their subscribers, list_changed on registry edits. */
  function published(events: readonly FeedEvent[]): void {
    if (!kernel.initialized) return;
    const uris = new Set<string>();
    let registryChanged = false;
    for (const event of events) {
      if (REGISTRY_EVENTS.has(event.type)) registryChanged = true;
      if (!/^(file|directory|thread|workspace)\./.test(event.type)) continue;
      const data = (JSON.parse(event.json) as { data?: Record<string, unknown> }).data ?? {};
      for (const uri of changedUris(workspaceId(), event.type, data)) uris.add(uri);
    }
    for (const { sessionId, uri } of store.subscribers([...uris])) {
      sessions.notify(sessionId, { method: "notifications/resources/updated", params: { uri } });
    }
    if (registryChanged) {
      for (const id of sessions.ids()) {
        sessions.notify(id, { method: "notifications/tools/list_changed" });
        sessions.notify(id, { method: "notifications/prompts/list_changed" });
      }
    }
  }
  ports.listen(published);

  async function expire(now: number): Promise<void> {
    const next = await sessions.expire(now);
    if (next !== null) await kernel.wakeAt(Math.max(next, now + 1000));
  }

  const api = featureApi({
    /** One MCP request (POST, GET or DELETE), its session held here. */
    handle: async (caller: Caller, request: Request): Promise<Response> => {
      const response = await sessions.handle(caller, request);
      // A new session: the alarm will end it once idle (and set itself again for the next).
      if (!request.headers.has("mcp-session-id") && response.headers.has("mcp-session-id")) {
        await kernel.wakeAt(Date.now() + config.sessionIdleMs);
      }
      return response;
    },
  });

  const module: WorkspaceModule = {
    name: "mcp",
    migrations: MIGRATIONS,
    apis: { mcp: api },
    onAlarm: expire,
    // A reset stops the workspace's work, not its clients: sessions stay. A delete ends them.
    onDelete: async () => {
      await sessions.closeAll();
    },
  };
  return { module, api };
}

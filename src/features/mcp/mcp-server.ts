import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type ServerNotification,
  type ServerRequest,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import type { Caller } from "../../kernel/caller";
import { commandTools, registryCommands } from "./command-catalog";
import type { McpConfig } from "./mcp-config";
import type { McpPorts } from "./ports";
import { progressReporter } from "./progress";
import { promptError, renderPrompt } from "./prompts";
import { parseResourceUri } from "./resource-uris";
import { listResources, readResource, resourceTemplates } from "./resources";
import {
  inputJsonSchema,
  parseArguments,
  type ToolDefinition,
  toolError,
  toolResult,
} from "./tool-kit";
import { agentTools } from "./tools/agent-tools";
import { fileTools } from "./tools/file-tools";
import { processTools } from "./tools/process-tools";
import { threadTools } from "./tools/thread-tools";
import { workTools } from "./tools/work-tools";

// One session's MCP server: the SDK's Server with the workspace's tools (the built-in ones and
// the registry's commands), prompts (the prompt commands) and resources (the record, files,
// threads; subscriptions kept by the session). Every request acts as the caller the Worker
// authenticated for that request (passed as the transport's authInfo).

export const SERVER_INFO = { name: "workspaces-api", title: "Workspaces API", version: "1.0.0" };

const INSTRUCTIONS =
  "This server is one workspace: its files (list_directory, read_file, write_file, edit_file, move_path, delete_path, search_paths), its built-in shell (run_shell), its registered commands (run_command, and each as a tool of its own), threads with the workspace's model (list_threads, read_thread, send_message), process runs (start_process_run, get_process_run, approve_process_run) and agents (spawn_agent, list_agents). Files are resources workspace://{ws}/files/{path}; subscribe to one to hear when it changes.";

export interface SessionHooks {
  subscribe(uri: string): void;
  unsubscribe(uri: string): void;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** The caller of this request, as the module's `handle` put it in the transport's authInfo. */
export function callerOf(extra: Extra): Caller {
  const caller = (extra.authInfo?.extra as { caller?: Caller } | undefined)?.caller;
  if (!caller) throw new McpError(ErrorCode.InternalError, "no caller for this request");
  return caller;
}

/** The built-in tools, in the order tools/list gives them. */
export function builtInTools(ports: McpPorts, ws: string, config: McpConfig): ToolDefinition[] {
  return [
    ...fileTools(ports, ws, config.resultMaxBytes),
    ...workTools(ports, config.resultMaxBytes),
    ...threadTools(ports, ws),
    ...processTools(ports),
    ...agentTools(ports),
  ];
}

export function buildServer(
  ports: McpPorts,
  ws: string,
  config: McpConfig,
  hooks: SessionHooks,
): Server {
  const server = new Server(SERVER_INFO, {
    capabilities: {
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
    },
    instructions: INSTRUCTIONS,
    // The default (Ajv) compiles schemas with `new Function`, which a Worker refuses.
    jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
  });
  const builtIn = builtInTools(ports, ws, config);
  const builtInByName = new Map(builtIn.map((tool) => [tool.name, tool]));
  const builtInNames = new Set(builtInByName.keys());
  const catalog = async (caller: Caller) => [
    ...builtIn,
    ...(await commandTools(ports, caller, builtInNames, config.resultMaxBytes)),
  ];

  server.setRequestHandler(ListToolsRequestSchema, async (_request, extra) => ({
    tools: (await catalog(callerOf(extra))).map((tool) => ({
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: inputJsonSchema(tool.input),
      annotations: { title: tool.title, ...tool.annotations },
    })),
  }));

  server.setRequestHandler(
    CallToolRequestSchema,
    async (request, extra): Promise<CallToolResult> => {
      const caller = callerOf(extra);
      const { name } = request.params;
      const tool =
        builtInByName.get(name) ?? (await catalog(caller)).find((each) => each.name === name);
      // An unknown tool is a protocol error (the specification's -32602); a failed call is not.
      if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
      const progress = progressReporter(request.params._meta?.progressToken, extra);
      try {
        const args = parseArguments(tool.input, request.params.arguments);
        const output = await tool.run(args, {
          caller,
          signal: extra.signal,
          progress: progress.send,
        });
        return toolResult(output, config.resultMaxBytes);
      } catch (error) {
        return toolError(error);
      } finally {
        await progress.flush();
      }
    },
  );

  server.setRequestHandler(ListPromptsRequestSchema, async (_request, extra) => ({
    prompts: (await registryCommands(ports, callerOf(extra), "prompt")).map((command) => ({
      name: command.trigger,
      title: command.trigger,
      description: command.description,
      arguments: command.args.map((arg) => ({
        name: arg.name,
        ...(arg.description ? { description: arg.description } : {}),
        required: arg.required && arg.default === undefined,
      })),
    })),
  }));

  server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
    try {
      return await renderPrompt(ports, callerOf(extra), request.params);
    } catch (error) {
      throw promptError(error);
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, (request, extra) =>
    listResources(ports, callerOf(extra), ws, request.params?.cursor),
  );
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: resourceTemplates(ws),
  }));
  server.setRequestHandler(ReadResourceRequestSchema, (request, extra) =>
    readResource(ports, callerOf(extra), ws, request.params.uri, config.resourceMaxBytes),
  );
  const known = (uri: string) => {
    if (!parseResourceUri(ws, uri)) {
      throw new McpError(ErrorCode.InvalidParams, `not a resource of this workspace: ${uri}`);
    }
    return uri;
  };
  server.setRequestHandler(SubscribeRequestSchema, (request) => {
    hooks.subscribe(known(request.params.uri));
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    hooks.unsubscribe(known(request.params.uri));
    return {};
  });
  return server;
}

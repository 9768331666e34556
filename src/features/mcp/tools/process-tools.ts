import { z } from "zod";
import {
  ApproveSchema,
  CreateRunSchema,
  ProcessNameSchema,
} from "../../processes/process-route.schemas";
import { followFeed } from "../follow-feed";
import type { McpPorts, RunInfo } from "../ports";
import { defineTool, READ_ONLY, type ToolDefinition, WRITES } from "../tool-kit";

// The process tools: start a run (created and started, as the two REST calls do) and wait until
// it rests — finished, paused, or awaiting an approval — its task events as progress; read one;
// resolve its approval.

/** Where a run stops moving by itself: a wait for it ends here. */
const RESTING = new Set(["succeeded", "failed", "canceled", "paused", "awaiting_approval"]);

const RunIdSchema = z.string().min(1).max(64).describe("The run's id (run_…)");

export function processTools(ports: McpPorts): ToolDefinition[] {
  return [
    defineTool({
      name: "start_process_run",
      title: "Start a process run",
      description:
        "Creates a run of a process (its saved definition, or the `spec` given) and starts it; answers the run once it rests: finished, paused, or awaiting an approval (approve it with approve_process_run). Task events arrive as progress.",
      input: CreateRunSchema.extend({ process: ProcessNameSchema }),
      annotations: { ...WRITES, openWorldHint: true },
      run: async ({ process, ...input }, { caller, signal, progress }) => {
        const processes = ports.processes(caller);
        const created = await processes.createRun(process, input);
        let run: RunInfo = await processes.controlRun(created.id, "start", null);
        let events = 0;
        await followFeed(ports.listen, signal, {
          about: (event, data) => event.type.startsWith("process.") && data.run_id === created.id,
          progress: (event, data) => {
            events++;
            const task = data.task_id ? ` ${data.task_id}` : "";
            void progress(`${event.type}${task}: ${String(data.status)}`, events);
          },
          settled: async () => {
            run = await processes.getRun(created.id, null);
            return RESTING.has(run.status);
          },
        });
        return { value: run };
      },
    }),
    defineTool({
      name: "get_process_run",
      title: "Read a process run",
      description: "A run with its tasks, their statuses and outputs.",
      input: z.object({ run_id: RunIdSchema }),
      annotations: READ_ONLY,
      run: async ({ run_id }, { caller }) => ({
        value: await ports.processes(caller).getRun(run_id, null),
      }),
    }),
    defineTool({
      name: "approve_process_run",
      title: "Approve or reject",
      description:
        "Resolves the run's waiting approval task: `approve` lets it succeed, `reject` fails it.",
      input: ApproveSchema.extend({ run_id: RunIdSchema }),
      annotations: WRITES,
      run: async ({ run_id, ...input }, { caller }) => ({
        value: await ports.processes(caller).approveRun(run_id, input, null),
      }),
    }),
  ];
}

import { createApp } from "./app";

export { WorkspaceDO } from "./kernel/workspace-do";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;

import { createApp } from "./app";

export { WorkspaceDO } from "./workspace/workspace-do";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;

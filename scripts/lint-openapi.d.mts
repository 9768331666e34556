// Types of lint-openapi.mjs for vitest.config.ts (a Node script, so no TypeScript of its own).
export interface LintProblem {
  rule: string;
  severity: "error" | "warn";
  message: string;
  where: string;
}
export const DOCUMENT_FILE: string;
export function lintDocument(
  documentText: string,
): Promise<{ failed: boolean; problems: LintProblem[] }>;

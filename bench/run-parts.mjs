// Runs the bench's parts in turn. Each part's figures are written as soon as it is measured, so
// a part that fails (reported, and named in results.json's `failed`) loses no other part's
// figures, and the parts after it still run.

/**
 * `parts`: [{ name, run }], run() resolving to { figures, checks?, ratios?, liveFigures?, print }.
 * `write(figures, failed)` is called before the first part and after each one.
 */
export async function runParts(parts, write, log = console) {
  const report = { figures: [], checks: [], ratios: [], liveFigures: [], failed: [] };
  write(report.figures, report.failed);
  for (const part of parts) {
    try {
      const measured = await part.run();
      report.figures.push(...measured.figures);
      report.checks.push(...(measured.checks ?? []));
      report.ratios.push(...(measured.ratios ?? []));
      report.liveFigures.push(...(measured.liveFigures ?? []));
      measured.print?.();
    } catch (error) {
      log.error(`\nbench part "${part.name}" failed: ${error?.message}`, error?.cause ?? "");
      report.failed.push({ part: part.name, error: String(error?.message ?? error) });
    }
    write(report.figures, report.failed);
  }
  return report;
}

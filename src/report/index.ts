// The report subsystem's public face: report input and the formats json, text, perfetto, otlp, prom.
import type { ReportInput } from './input.js';
import { jsonReport } from './json.js';
import { otlpReport } from './otlp.js';
import { perfettoReport } from './perfetto.js';
import { promReport } from './prom.js';
import { textReport } from './text.js';

export * from './input.js';
export { jsonReport, fioLatency, FIO_PERCENTILES, pathJson } from './json.js';
export { textReport } from './text.js';
export { promReport } from './prom.js';
export { perfettoReport } from './perfetto.js';
export { otlpReport } from './otlp.js';
export { formatNs } from './units.js';
export { placeStages, requestLabel } from './timeline.js';

/** The report formats `viotrace report --format` accepts. */
export const REPORT_FORMATS = ['json', 'text', 'perfetto', 'otlp', 'prom'] as const;
/** A report format name. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Renders a report in a format, as the text written to the output. */
export function renderReport(input: ReportInput, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(jsonReport(input), null, 2) + '\n';
    case 'text':
      return textReport(input);
    case 'perfetto':
      return JSON.stringify(perfettoReport(input)) + '\n';
    case 'otlp':
      return JSON.stringify(otlpReport(input)) + '\n';
    case 'prom':
      return promReport(input);
  }
}

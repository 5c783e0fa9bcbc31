// OpenTelemetry trace JSON (OTLP/JSON, ExportTraceServiceRequest): one trace per request, one span per stage.
import type { RequestPath } from '../correlate/index.js';
import type { ReportInput } from './input.js';
import { placeStages, requestLabel } from './timeline.js';

/** FNV-1a 64-bit as 16 hex digits: deterministic ids from a request's identity. */
function fnv64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number };
function attr(key: string, value: string | number): { key: string; value: AnyValue } {
  if (typeof value === 'string') return { key, value: { stringValue: value } };
  return Number.isInteger(value) ? { key, value: { intValue: String(value) } } : { key, value: { doubleValue: value } };
}

const SPAN_KIND_INTERNAL = 1;

/** Builds the OTLP/JSON export. Trace and span ids are deterministic, so exports are reproducible. */
export function otlpReport(input: ReportInput): Record<string, unknown> {
  const epoch = BigInt(Math.round(input.epochNs ?? 0));
  const unix = (ns: number) => (epoch + BigInt(Math.round(ns))).toString();
  const paths: RequestPath[] = (input.paths ?? input.slowest).filter((p) => p.match !== 'host_only');
  const spans: Record<string, unknown>[] = [];
  paths.forEach((p, i) => {
    const identity = `${input.source.name}|${p.vm}|${p.disk}|${p.sector}|${p.start}|${i}`;
    const traceId = fnv64('trace|' + identity) + fnv64('trace2|' + identity);
    const rootId = fnv64('root|' + identity);
    spans.push({
      traceId, spanId: rootId, name: requestLabel(p), kind: SPAN_KIND_INTERNAL,
      startTimeUnixNano: unix(p.start), endTimeUnixNano: unix(p.start + p.total),
      attributes: [attr('viotrace.vm', p.vm), attr('viotrace.disk', p.disk),
        // A queue of -1 is unknown (a capture without the virtqueue): no attribute rather than a false one.
        ...(p.queue >= 0 ? [attr('viotrace.queue', p.queue)] : []), attr('viotrace.op', p.op),
        attr('viotrace.sector', p.sector), attr('viotrace.nr_sectors', p.nrSectors), attr('viotrace.match', p.match)],
    });
    for (const st of placeStages(p)) {
      const stageId = fnv64(`stage|${st.def.name}|` + identity);
      spans.push({
        traceId, spanId: stageId, parentSpanId: rootId, name: st.def.name, kind: SPAN_KIND_INTERNAL,
        startTimeUnixNano: unix(st.start), endTimeUnixNano: unix(st.end), attributes: [attr('viotrace.side', st.def.side)],
      });
      for (const part of st.parts) {
        spans.push({
          traceId, spanId: fnv64(`part|${part.def.name}|` + identity), parentSpanId: stageId, name: part.def.name, kind: SPAN_KIND_INTERNAL,
          startTimeUnixNano: unix(part.start), endTimeUnixNano: unix(part.end), attributes: [attr('viotrace.side', part.def.side)],
        });
      }
    }
  });
  return {
    resourceSpans: [{
      resource: { attributes: [attr('service.name', 'viotrace'), attr('viotrace.source', input.source.name)] },
      scopeSpans: [{ scope: { name: 'viotrace', version: '1' }, spans }],
    }],
  };
}

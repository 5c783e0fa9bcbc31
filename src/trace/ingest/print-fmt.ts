// Compiles a tracefs `print fmt:` line into a grammar that parses the printed body back into named fields.
//
// Why: an event's text is whatever its TP_printk printed, and that differs between kernels (6.1 block
// events have no ioprio, 6.18 print `be,0,4`; trace-cmd's libtraceevent prints `0x2,0,4`). The format
// file says exactly what was printed and from which record field, so the field names come from the
// kernel (`REC->nr_sector` -> `nr_sector`) and no column positions are hard-coded anywhere.
import type { FieldValue } from './event.js';

/** How a converted value is turned back into a field value. */
type ValueKind = 'decimal' | 'text';

/** One `%...` conversion of a print fmt, with the field it prints. */
interface Conversion {
  name: string;
  kind: ValueKind;
  pattern: string;
}

/** A compiled body grammar: a regex with one capture group per field. */
export interface BodyGrammar {
  /** The print fmt it was compiled from (the format string and its arguments). */
  printFmt: string;
  /** Field names, in capture-group order. */
  names: string[];
  /** Parses a body; undefined when the body does not fit this format. */
  parse(body: string): Record<string, FieldValue> | undefined;
}

/** A parsed tracefs `format` file (events/SYSTEM/NAME/format). */
export interface EventFormat {
  name: string;
  id?: number;
  /** The record's fields, `common_*` included, as the kernel declares them. */
  fields: { type: string; name: string; offset: number; size: number; signed: boolean }[];
  /** Everything after `print fmt: `. */
  printFmt: string;
}

/** Parses the text of a tracefs format file. Throws a plain Error (callers add the file name). */
export function parseFormatFile(text: string): EventFormat {
  const name = /^name: (\S+)/m.exec(text)?.[1];
  const printFmt = /^print fmt: (.*)$/m.exec(text)?.[1];
  if (!name || printFmt === undefined) throw new Error('not a tracefs format file (no name: or print fmt: line)');
  const id = /^ID: (\d+)/m.exec(text)?.[1];
  const fields: EventFormat['fields'] = [];
  for (const m of text.matchAll(/field:(.+?)\s+(\w+)(?:\[\w*\])?;\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d);/g)) {
    fields.push({ type: m[1], name: m[2], offset: Number(m[3]), size: Number(m[4]), signed: m[5] === '1' });
  }
  return { name, id: id === undefined ? undefined : Number(id), fields, printFmt: printFmt.trim() };
}

/** Splits `"fmt", a, b(c, d)` into the format literal and the top-level argument expressions. */
function splitPrintFmt(printFmt: string): { fmt: string; args: string[] } {
  const s = printFmt.trim();
  if (s[0] !== '"') throw new Error(`print fmt does not start with a string: ${s.slice(0, 40)}`);
  let i = 1;
  let fmt = '';
  for (; i < s.length && s[i] !== '"'; i++) {
    if (s[i] === '\\' && i + 1 < s.length) {
      const c = s[++i];
      fmt += c === 'n' ? '\n' : c === 't' ? '\t' : c;
    } else fmt += s[i];
  }
  const args: string[] = [];
  let depth = 0;
  let cur = '';
  let inStr = false;
  for (i++; i < s.length; i++) {
    const c = s[i];
    if (inStr) {
      cur += c;
      if (c === '\\') cur += s[++i] ?? '';
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    if (c === '(' || c === '{' || c === '[') depth++;
    if (c === ')' || c === '}' || c === ']') depth--;
    if (c === ',' && depth === 0) {
      if (cur.trim()) args.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) args.push(cur.trim());
  return { fmt, args };
}

/** The string literals of an expression, adjacent ones joined ("KVM_EXIT_" "IO" -> KVM_EXIT_IO). */
function stringLiterals(expr: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"(?:\s*"((?:[^"\\]|\\.)*)")*/g;
  for (const m of expr.matchAll(re)) {
    out.push(m[0].replace(/"\s*"/g, '').slice(1, -1).replace(/\\(.)/g, '$1'));
  }
  return out;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The record field an argument prints: `__get_str(cmd)` -> cmd, `(u64)REC->sector` -> sector. */
function fieldNameOf(arg: string, index: number): string {
  const str = /__get_str\((\w+)\)/.exec(arg) ?? /__get_dynamic_array\((\w+)\)/.exec(arg);
  if (str) return str[1];
  const sym = /__print_(?:symbolic|flags|hex)\w*\(([^,]*)/.exec(arg);
  if (sym) {
    const r = /REC->(\w+)/.exec(sym[1]);
    if (r) return r[1];
  }
  const r = /REC->(\w+)/.exec(arg);
  return r ? r[1] : `arg${index}`;
}

/**
 * Names for a field printed more than once, by what the expression extracts: a dev_t's `>> 20` is
 * the major number, an ioprio's `>> 13` its class. Otherwise the second copy is `name_2`.
 */
function splitName(name: string, arg: string, nth: number): string {
  if (/>>\s*20\b/.test(arg)) return `${name}_major`;
  if (/\(1U?\s*<<\s*20\)\s*-\s*1/.test(arg)) return `${name}_minor`;
  if (name === 'ioprio') {
    if (/>>\s*13\b/.test(arg)) return 'ioprio_class';
    if (/>>\s*3\b/.test(arg)) return 'ioprio_hint';
    if (/\(1\s*<<\s*3\)\s*-\s*1/.test(arg)) return 'ioprio_level';
  }
  return nth === 1 ? name : `${name}_${nth}`;
}

/** Regex source for a %s whose argument can only print one of a few literals, or undefined. */
function alternativesFor(arg: string): string | undefined {
  if (/__get_str|__get_dynamic_array|__print_flags|__print_hex/.test(arg)) return undefined;
  const lits = stringLiterals(arg);
  if (lits.length === 0) return undefined;
  // A bare REC->x printed with %s (comm, rwbs) can print anything.
  if (!/__print_symbolic|\?/.test(arg)) return undefined;
  const alts = [...new Set(lits)].sort((a, b) => b.length - a.length).map(escapeRe);
  // __print_symbolic prints an unknown value in hex; libtraceevent does so when it cannot evaluate the
  // enum names (trace-cmd shows ioprio class `0x2` where the kernel shows `be`).
  if (/__print_symbolic/.test(arg)) alts.push('0x[0-9a-fA-F]+', '-?\\d+');
  return `(${alts.join('|')})`;
}

const CONVERSION = /%([-+ #0]*)(\d+|\*)?(?:\.(\d+|\*))?(hh|h|ll|l|z|j|t|L)?([diouxXcsp%])/g;

/** Compiles one print fmt (as found in a format file after `print fmt: `) into a body grammar. */
export function compilePrintFmt(printFmt: string): BodyGrammar {
  const { fmt, args } = splitPrintFmt(printFmt);
  const text = fmt.replace(/\s+$/, '');
  const convs: Conversion[] = [];
  const seen = new Map<string, number>();
  let src = '^';
  let last = 0;
  let argi = 0;
  for (const m of text.matchAll(CONVERSION)) {
    let lit = text.slice(last, m.index);
    last = m.index! + m[0].length;
    const [, flags, width, , , conv] = m;
    if (conv === '%') {
      src += escapeRe(lit + '%');
      continue;
    }
    let ext = '';
    if (conv === 'p') {
      // Kernel %p extensions (%ps, %px, %pK, ...): one letter glued to the conversion.
      const next = text[last];
      if (next && /[sSBKxfF]/.test(next) && !/\w/.test(text[last + 1] ?? '')) {
        ext = next;
        last++;
      }
    }
    const arg = args[argi] ?? '';
    const base = fieldNameOf(arg, argi);
    argi++;
    let pattern: string;
    let kind: ValueKind = 'text';
    if (conv === 'd' || conv === 'i' || conv === 'u') {
      pattern = '(-?\\d+)';
      kind = 'decimal';
    } else if (conv === 'x' || conv === 'X') {
      // "0x%llx": keep the 0x in the value, so user_data reads 0x7f8d… as the user wrote it.
      if (lit.endsWith('0x')) {
        lit = lit.slice(0, -2);
        pattern = '(0x[0-9a-fA-F]+)';
      } else pattern = flags.includes('#') ? '((?:0x)?[0-9a-fA-F]+)' : '([0-9a-fA-F]+)';
    } else if (conv === 'o') {
      pattern = '([0-7]+)';
    } else if (conv === 'c') {
      pattern = '(.)';
    } else if (conv === 'p') {
      // Hashed (00000000f3f5b4a6), raw (0xffff8881...), (____ptrval____), (null), or a symbol for %ps.
      pattern = ext === 's' || ext === 'S' || ext === 'B' ? '(\\S+?)' : '([^\\s,]+)';
    } else {
      pattern = alternativesFor(arg) ?? (width && width !== '*' ? '\\s*(.*?)\\s*' : '(.*?)');
    }
    src += escapeRe(lit) + pattern;
    const nth = (seen.get(base) ?? 0) + 1;
    seen.set(base, nth);
    convs.push({ name: splitName(base, arg, nth), kind, pattern });
  }
  src += escapeRe(text.slice(last)) + '\\s*$';
  const re = new RegExp(src);
  const names = convs.map((c) => c.name);
  const kinds = convs.map((c) => c.kind);
  const hasDev = names.includes('dev_major') && names.includes('dev_minor');
  return {
    printFmt,
    names,
    parse(body: string) {
      const m = re.exec(body);
      if (!m) return undefined;
      const out: Record<string, FieldValue> = {};
      for (let i = 0; i < names.length; i++) {
        const v = m[i + 1];
        if (kinds[i] === 'decimal') {
          const n = Number(v);
          out[names[i]] = Number.isSafeInteger(n) ? n : BigInt(v);
        } else out[names[i]] = v;
      }
      // The kernel's dev_t (major << 20 | minor): the value a `dev ==` filter and BPF programs see.
      if (hasDev) out.dev = (out.dev_major as number) * 1048576 + (out.dev_minor as number);
      return out;
    },
  };
}

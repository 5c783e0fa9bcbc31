// A loaded BPF object: programs by SEC name, maps from BTF-defined .maps and global data, relocations and CO-RE applied, as libbpf does before load.
import { InputError } from '../../errors.js';
import { Btf, Kind, parseBtf, parseBtfExt, type BtfMember, type BtfType, type CoreRelocation, type LineInfo } from '../btf/index.js';
import { readElf, STT_FUNC, type ElfFile, type ElfSection } from '../elf/index.js';
import { decode, type Instruction } from '../isa/instruction.js';
import { CallSrc, Class, CORE_POISON_HELPER, Imm64Src, JmpOp, Mode, Size } from '../isa/opcodes.js';
import { codeAddressTarget } from '../isa/validate.js';
import { kconfigMap } from './kconfig.js';
import type { GlobalArg, GlobalFunction } from '../verifier/index.js';
import { BPF_MAP_TYPE_PERF_EVENT_ARRAY, createGlobalDataMap, createMap, type AnyMap, type GlobalDataSection } from '../maps/index.js';

/** Program kinds, from the SEC name as libbpf reads it. */
export type ProgramKind = 'tracepoint' | 'raw_tracepoint' | 'tp_btf' | 'fentry' | 'fexit' | 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe' | 'usdt';

/** One program of an object. */
export interface BpfProgram {
  /** The function's name. */
  name: string;
  /** The ELF section (SEC name). */
  section: string;
  kind: ProgramKind;
  /** What it attaches to: "block:block_rq_issue", "virtio_queue_rq", "/usr/bin/qemu:virtio_blk_req_complete". */
  attachTo: string;
  /** Instructions with relocations applied; subprograms appended after the program's own. */
  insns: Instruction[];
  /** C source lines by instruction index (from .BTF.ext line_info). */
  lines: Map<number, string>;
  /** The global (non-static) functions linked in, by first instruction, with their BTF arguments: the verifier checks each on its own. */
  globals: Map<number, GlobalFunction>;
  /**
   * Instructions whose CO-RE relocation the kernel's BTF could not resolve, poisoned as libbpf
   * poisons them, with libbpf's description of the relocation
   * (`<byte_off> [6] struct request___old.rq_disk (0:0 @ offset 0)`).
   */
  poisoned: Map<number, string>;
}

/**
 * The reason to report for a verifier refusal of `p`, as libbpf reports it: the kernel refuses a
 * poisoned instruction it reaches as "invalid func unknown#195896080", which libbpf rewrites in
 * the log to name the relocation it could not resolve (fixup_log_failed_core_relo).
 */
export function libbpfReason(p: Pick<BpfProgram, 'poisoned'>, pc: number, reason: string): string {
  const relo = p.poisoned.get(pc);
  return relo !== undefined && reason === `invalid func unknown#${CORE_POISON_HELPER}` ? `failed to resolve CO-RE relocation ${relo}` : reason;
}

/** libbpf's names of CO-RE relocation kinds (core_relo_kind_str). */
const CORE_KIND_NAMES = ['byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64', 'local_type_id', 'target_type_id', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches'];

/** libbpf's bpf_core_format_spec of a field relocation: kind, root type, member path, raw access and the local offset. */
function formatCoreSpec(local: Btf, r: CoreRelocation, localOff: number): string {
  const root = local.type(r.typeId);
  const kindName = root?.kind === Kind.UNION ? 'union' : root?.kind === Kind.STRUCT ? 'struct' : 'type';
  const idx = r.access.split(':').map(Number);
  let path = idx[0]! > 0 ? `[${idx[0]}]` : '';
  let t = local.resolve(r.typeId);
  for (let i = 1; i < idx.length && t; i++) {
    if (t.kind === Kind.ARRAY) {
      path += `[${idx[i]}]`;
      t = local.resolve(t.elemType);
      continue;
    }
    const m = t.members[idx[i]!];
    path += m?.name ? `.${m.name}` : `[${idx[i]}]`;
    t = m ? local.resolve(m.type) : undefined;
  }
  return `<${CORE_KIND_NAMES[r.kind] ?? r.kind}> [${r.typeId}] ${kindName} ${root?.name || '<anon>'}${path} (${r.access} @ offset ${localOff})`;
}

/** A map spec as the object defines it, created as a map. */
export interface BpfObjectMap {
  name: string;
  map: AnyMap;
  /** BTF types of a key and a value (`__type(key, ..)`; a global-data section's value is its DATASEC), when the object says. */
  keyType?: number;
  valueType?: number;
}

/** A loaded object. */
export interface BpfObject {
  programs: BpfProgram[];
  /** Maps in the order ld_imm64 map references index them. */
  maps: BpfObjectMap[];
  license: string;
  btf: Btf;
  /** The kernel BTF it was loaded against (LoadOptions.targetBtf): CO-RE's target, and what tp_btf programs' arguments are typed by. */
  kernelBtf?: Btf;
  /** Code sections whose SEC name is no program type libbpf knows ("frobnicate/x"): not loaded, named so a caller can say so. */
  unknownSections: string[];
  program(name: string): BpfProgram | undefined;
  map(name: string): AnyMap | undefined;
}

/** How to load. */
export interface LoadOptions {
  /** num_possible_cpus() for per-CPU maps. */
  possibleCpus: number;
  /** The kernel's BTF that CO-RE relocations resolve against (without it, an object that has any is refused). */
  targetBtf?: Btf;
  /** max_entries overrides by map name, as bpf_map__set_max_entries before load (ring buffer sizes, table sizes). */
  mapSizes?: Readonly<Record<string, number>>;
  /** The kernel's version for LINUX_KERNEL_VERSION (default 6.18.0, the kernel of the simulator's BTF). */
  kernelVersion?: readonly [number, number, number];
  /** CONFIG_* values for `extern ... __kconfig` variables, as libbpf reads them from the kernel's config (y = 1, n = 0). */
  kconfig?: Readonly<Record<string, number>>;
  /**
   * Initial values of global variables (.rodata, .data, .bss) by name, set before .rodata is
   * frozen, as a libbpf skeleton's user space sets `skel->rodata->targ_ms = true` between open and
   * load. Integers and bools only; an unknown name is refused.
   */
  globals?: Readonly<Record<string, bigint>>;
}

/** Writes `value` into the global variable `v` (a DATASEC member) of a section's bytes, checked against its BTF type. */
function setGlobal(btf: Btf, v: BtfMember, bytes: Uint8Array, value: bigint, where: string): void {
  const t = btf.resolve(btf.type(v.type)?.type ?? 0);
  const size = v.size;
  if (!t || (t.kind !== Kind.INT && t.kind !== Kind.ENUM) || ![1, 2, 4, 8].includes(size)) throw new InputError(`is not an integer, bool or enum (${t ? `BTF kind ${t.kind}` : 'no type'}): it cannot be set`, where);
  const bits = BigInt(size * 8);
  if (value < -(1n << (bits - 1n)) || value >= 1n << bits) throw new InputError(`${value} does not fit its ${size} bytes`, where);
  const u = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) bytes[v.offset + i] = Number((u >> BigInt(8 * i)) & 0xffn);
}

/** Section flag of code (ELF SHF_EXECINSTR). */
const SHF_EXECINSTR = 0x4;

const R_BPF_64_64 = 1;
const R_BPF_64_ABS64 = 2;
const R_BPF_64_ABS32 = 3;
const R_BPF_64_NODYLD32 = 4;
const R_BPF_64_32 = 10;

const SEC_KINDS: [RegExp, ProgramKind][] = [
  [/^(?:tracepoint|tp)\/([^/]+)\/(.+)$/, 'tracepoint'],
  [/^(?:raw_tracepoint|raw_tp)\/(.+)$/, 'raw_tracepoint'],
  // BTF-typed raw tracepoints: the same arguments, typed by the kernel's btf_trace_<event>.
  [/^tp_btf\/(.+)$/, 'tp_btf'],
  // BPF trampolines on entry to a kernel function, its arguments typed by the function's BTF.
  [/^fentry\/(.+)$/, 'fentry'],
  // ... and on its return, given the arguments and the return value after them.
  [/^fexit\/(.+)$/, 'fexit'],
  [/^kprobe\/(.+)$/, 'kprobe'],
  [/^kretprobe\/(.+)$/, 'kretprobe'],
  [/^uprobe\/(.+)$/, 'uprobe'],
  [/^uretprobe\/(.+)$/, 'uretprobe'],
  [/^usdt\/(.+)$/, 'usdt'],
];

function programKind(section: string): { kind: ProgramKind; attachTo: string } | undefined {
  for (const [re, kind] of SEC_KINDS) {
    const m = re.exec(section);
    if (!m) continue;
    if (kind === 'tracepoint') return { kind, attachTo: `${m[1]}:${m[2]}` };
    // libbpf: uprobe/PATH:FUNC, and uprobe//abs/path:FUNC.
    return { kind, attachTo: m[1]!.replace(/^\/\//, '/') };
  }
  return undefined;
}

/** Reads a BTF-defined map (struct { __uint(type, ..); __type(key, ..); ... } name SEC(".maps")). */
function mapSpecFromBtf(btf: Btf, varType: BtfType, name: string, where: string): { type: number; keySize: number; valueSize: number; maxEntries: number; flags: number; keyType?: number; valueType?: number } {
  const def = btf.resolve(varType.type);
  if (!def || def.kind !== Kind.STRUCT) throw new InputError(`map ${name}: its BTF is not a struct`, where);
  const spec: { type: number; keySize: number; valueSize: number; maxEntries: number; flags: number; keyType?: number; valueType?: number } = { type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0 };
  for (const m of def.members) {
    const ptr = btf.resolve(m.type);
    if (!ptr || ptr.kind !== Kind.PTR) throw new InputError(`map ${name}: member ${m.name} is not a __uint/__type pointer`, where);
    const target = btf.resolve(ptr.type);
    // __uint(name, N) is `int (*name)[N]`; __type(name, T) is `T *name`.
    const uint = target?.kind === Kind.ARRAY ? target.nelems : undefined;
    switch (m.name) {
      case 'type': spec.type = uint ?? 0; break;
      case 'max_entries': spec.maxEntries = uint ?? 0; break;
      case 'map_flags': spec.flags = uint ?? 0; break;
      case 'key_size': spec.keySize = uint ?? 0; break;
      case 'value_size': spec.valueSize = uint ?? 0; break;
      case 'key': spec.keySize = btf.sizeOf(ptr.type); spec.keyType = ptr.type; break;
      case 'value': spec.valueSize = btf.sizeOf(ptr.type); spec.valueType = ptr.type; break;
      case 'pinning': case 'numa_node': case 'map_extra': break;
      default: throw new InputError(`map ${name}: unknown map attribute ${m.name}`, where);
    }
  }
  return spec;
}

/** Resolves one CO-RE field relocation: the byte offset (and size) of the field in the target. */
function coreField(local: Btf, target: Btf, r: CoreRelocation, where: string): { localOff: number; targetOff: number; targetSize: number; exists: boolean } {
  const idx = r.access.split(':').map(Number);
  let lt = local.resolve(r.typeId);
  if (!lt) throw new InputError(`CO-RE relocation at insn ${r.insnOff / 8}: local type ${r.typeId} missing`, where);
  const essential = lt.name.replace(/___.*$/, '');
  let tt = target.named(essential).map((id) => target.type(id)!).find((t) => t.kind === lt!.kind);
  let localOff = idx[0]! * local.sizeOf(lt.id);
  let targetOff = tt ? idx[0]! * target.sizeOf(tt.id) : 0;
  let targetSize = tt ? target.sizeOf(tt.id) : 0;
  for (let i = 1; i < idx.length; i++) {
    if (lt.kind === Kind.ARRAY) {
      localOff += idx[i]! * local.sizeOf(lt.elemType);
      lt = local.resolve(lt.elemType)!;
      if (tt) {
        targetOff += idx[i]! * target.sizeOf(tt.elemType);
        tt = target.resolve(tt.elemType);
        targetSize = tt ? target.sizeOf(tt.id) : 0;
      }
      continue;
    }
    const lm: BtfMember | undefined = lt.members[idx[i]!];
    if (!lm) throw new InputError(`CO-RE relocation at insn ${r.insnOff / 8}: access ${r.access} past ${lt.name}'s members`, where);
    localOff += lm.offset / 8;
    lt = local.resolve(lm.type)!;
    if (tt) {
      const tm = target.member(tt, lm.name);
      if (!tm) tt = undefined;
      else {
        targetOff += tm.offset;
        targetSize = tm.size;
        tt = target.resolve(tm.type);
      }
    }
  }
  return { localOff, targetOff, targetSize, exists: !!tt };
}

/**
 * libbpf's answer to a field relocation the kernel's BTF has no match for (bpf_core_poison_insn):
 * the instruction (both halves of an ld_imm64) becomes a call of CORE_POISON_HELPER, so the object
 * loads and the verifier refuses it only where the code is reached (a field of another kernel
 * version, behind bpf_core_field_exists or a .rodata flag, is not).
 */
function poison(insns: Instruction[], pc: number): void {
  const ldImm64 = insns[pc]!.opcode === (Class.LD | Mode.IMM | Size.DW);
  for (const at of ldImm64 ? [pc, pc + 1] : [pc]) insns[at] = { ...insns[at]!, opcode: Class.JMP | JmpOp.CALL, dst: 0, src: 0, off: 0, imm: CORE_POISON_HELPER };
}

function applyCore(insns: Instruction[], base: number, local: Btf, target: Btf | undefined, relos: CoreRelocation[], where: string, poisoned: Map<number, string>): void {
  for (const r of relos) {
    const pc = base + r.insnOff / 8;
    const insn = insns[pc];
    if (!insn) throw new InputError(`CO-RE relocation at byte ${r.insnOff} is outside section ${r.section}`, where);
    if (!target) throw new InputError(`${r.section}: insn ${pc} needs CO-RE (${r.access} of type ${local.type(r.typeId)?.name}) but no kernel BTF was given`, where);
    const cls = insn.opcode & 0x07;
    let value: number;
    switch (r.kind) {
      case 0: // FIELD_BYTE_OFFSET
      case 1: // FIELD_BYTE_SIZE
      case 2: { // FIELD_EXISTS
        const f = coreField(local, target, r, where);
        if (!f.exists && r.kind !== 2) {
          poison(insns, pc);
          poisoned.set(pc, formatCoreSpec(local, r, f.localOff));
          continue;
        }
        value = r.kind === 0 ? f.targetOff : r.kind === 1 ? f.targetSize : f.exists ? 1 : 0;
        break;
      }
      case 8: // TYPE_EXISTS
        value = target.named(local.resolve(r.typeId)!.name.replace(/___.*$/, '')).length > 0 ? 1 : 0;
        break;
      case 9: { // TYPE_SIZE
        const ids = target.named(local.resolve(r.typeId)!.name.replace(/___.*$/, ''));
        value = ids.length ? target.sizeOf(ids[0]!) : 0;
        break;
      }
      default:
        throw new InputError(`${r.section}: insn ${pc}: CO-RE relocation kind ${r.kind} is not supported`, where);
    }
    // Loads and stores carry the offset in `off`; ALU (mov/add) in `imm`.
    if (cls === Class.LDX || cls === Class.ST || cls === Class.STX) insn.off = value;
    else insn.imm = value;
  }
}

/**
 * Loads an object: parses ELF and BTF, creates its maps (BTF .maps, .rodata/.data/.bss), splits
 * programs out of their sections, links .text subprograms, applies map, global-data, call and
 * CO-RE relocations. Throws InputError naming the object and the place for anything it cannot do.
 */
export function loadObject(bytes: Uint8Array, where: string, opts: LoadOptions): BpfObject {
  const elf: ElfFile = readElf(bytes, where);
  const btfSec = elf.section('.BTF');
  if (!btfSec) throw new InputError('no .BTF section (build with clang -g)', where);
  const btf = parseBtf(btfSec.data, `${where}: .BTF`);
  const extSec = elf.section('.BTF.ext');
  const ext = extSec ? parseBtfExt(extSec.data, btfSec.data, `${where}: .BTF.ext`) : { core: [], lines: [] };
  const license = new TextDecoder().decode(elf.section('license')?.data ?? new Uint8Array()).replace(/\0.*$/s, '');
  const env = { possibleCpus: opts.possibleCpus };

  // Maps: BTF-defined ones in .maps (by their DATASEC order), then global data sections.
  const maps: BpfObjectMap[] = [];
  const mapBySymbol = new Map<string, number>();
  const mapsSec = elf.section('.maps');
  if (mapsSec) {
    const datasec = btf.named('.maps').map((id) => btf.type(id)!).find((t) => t.kind === Kind.DATASEC);
    if (!datasec) throw new InputError('.maps has no DATASEC in .BTF', where);
    for (const v of datasec.members) {
      const vt = btf.type(v.type);
      if (!vt) throw new InputError(`.maps: DATASEC entry names type ${v.type}, which .BTF does not have`, where);
      const { keyType, valueType, ...spec } = mapSpecFromBtf(btf, vt, vt.name, where);
      const resized = opts.mapSizes?.[vt.name];
      if (resized !== undefined) spec.maxEntries = resized;
      withCpuDefault(spec, env.possibleCpus);
      mapBySymbol.set(vt.name, maps.length);
      maps.push({ name: vt.name, map: createMap({ name: vt.name, ...spec }, env, `${where}: map ${vt.name}`), ...(keyType ? { keyType } : {}), ...(valueType ? { valueType } : {}) });
    }
  }
  const legacySec = elf.section('maps');
  if (legacySec) {
    for (const m of legacyMaps(elf, legacySec, where)) {
      if (mapBySymbol.has(m.name)) throw new InputError(`maps: map ${m.name} is defined twice`, where);
      withCpuDefault(m, env.possibleCpus);
      mapBySymbol.set(m.name, maps.length);
      maps.push({ name: m.name, map: createMap(m, env, `${where}: map ${m.name}`) });
    }
  }
  const globalIndex = new Map<number, number>();
  const globalsSet = new Set<string>();
  for (const s of elf.sections) {
    const m = /^\.(rodata|data|bss)(\..*)?$/.exec(s.name);
    if (!m || s.size === 0 || (s.flags & 2) === 0) continue; // SHF_ALLOC
    const kind = m[1] as GlobalDataSection;
    globalIndex.set(s.index, maps.length);
    const name = s.name.slice(0, 15);
    // clang leaves the DATASEC's variable offsets 0; libbpf sets them from the symbols (btf_fixup_datasec).
    const datasec = btf.named(s.name).map((id) => btf.type(id)!).find((t) => t.kind === Kind.DATASEC);
    for (const v of datasec?.members ?? []) {
      const sym = elf.symbols.find((x) => x.shndx === s.index && x.name === btf.type(v.type)?.name);
      if (sym) {
        v.offset = sym.value;
        v.size = sym.size || v.size;
      }
    }
    const map = createGlobalDataMap({ name, section: kind, size: s.size, image: kind === 'bss' ? undefined : s.data }, env, `${where}: ${s.name}`);
    for (const v of opts.globals ? datasec?.members ?? [] : []) {
      const name = btf.type(v.type)?.name;
      const value = name === undefined ? undefined : opts.globals![name];
      if (value === undefined) continue;
      setGlobal(btf, v, map.values, value, `${where}: ${name}`);
      globalsSet.add(name!);
    }
    // libbpf freezes .rodata before it loads the programs: the verifier then reads its constants.
    if (kind === 'rodata') map.freeze();
    maps.push({ name, map, ...(datasec ? { valueType: datasec.id } : {}) });
  }

  for (const name of Object.keys(opts.globals ?? {})) if (!globalsSet.has(name)) throw new InputError(`no global variable ${name} in .rodata, .data or .bss`, where);

  // Externs of .kconfig: one frozen read-only map of their values (kconfig.ts).
  const kconfig = kconfigMap(btf, elf, opts, env, where);
  const kconfigIndex = kconfig ? maps.length : -1;
  const kconfigAt = kconfig?.offsets ?? new Map<string, number>();
  if (kconfig) maps.push(kconfig.map);

  const textSec = elf.section('.text');
  const code = (sec: ElfSection): Instruction[] => {
    if (sec.data.length % 8 !== 0) throw new InputError(`${sec.name}: ${sec.data.length} bytes is not a whole number of instructions`, where);
    return decode(sec.data);
  };
  const textInsns = textSec && textSec.size ? code(textSec) : [];
  // .text's functions as [first instruction, length]; one piece when it has no function symbols.
  const textSymbols = textSec ? elf.symbols.filter((s) => s.shndx === textSec.index && s.type === STT_FUNC).sort((a, b) => a.value - b.value) : [];
  const textFunctions: [number, number][] = textSymbols.length === 0
    ? (textInsns.length ? [[0, textInsns.length]] : [])
    : textSymbols.map((f, i) => [f.value / 8, ((textSymbols[i + 1]?.value ?? textInsns.length * 8) - f.value) / 8]);

  const relocate = (sec: ElfSection, insns: Instruction[], base: number, textBase: number): void => {
    for (const rel of elf.relocations.get(sec.index) ?? []) {
      const pc = base + rel.offset / 8;
      const insn = insns[pc];
      const sym = elf.symbols[rel.symbol]!;
      const at = `${sec.name}: insn ${rel.offset / 8}`;
      if (!insn || rel.offset % 8 !== 0) throw new InputError(`${sec.name}: relocation at byte ${rel.offset} is not on an instruction of the section`, where);
      if (rel.type === R_BPF_64_64) {
        if (insn.opcode !== (Class.LD | Mode.IMM | Size.DW)) throw new InputError(`${at}: R_BPF_64_64 on an instruction that is not ld_imm64`, where);
        const symSec = elf.sections[sym.shndx];
        if (symSec?.name === '.maps' || symSec?.name === 'maps') {
          const idx = mapBySymbol.get(sym.name);
          if (idx === undefined) throw new InputError(`${at}: refers to map ${sym.name}, which .maps does not define`, where);
          insn.src = Imm64Src.MAP_IDX;
          insn.imm = idx;
        } else if (globalIndex.has(sym.shndx) || (sym.shndx === 0 && kconfigAt.has(sym.name))) {
          // ld_imm64 of global data or of a .kconfig extern: its map's value plus (the variable's
          // offset there + the addend clang left in imm).
          const global = globalIndex.has(sym.shndx);
          const off = (global ? sym.value : kconfigAt.get(sym.name)!) + insn.imm;
          insn.src = Imm64Src.MAP_IDX_VALUE;
          insn.imm = global ? globalIndex.get(sym.shndx)! : kconfigIndex;
          insns[pc + 1]!.imm = off;
        } else if (symSec?.name === '.text') {
          // A function's address (a bpf_loop callback): libbpf's BPF_PSEUDO_FUNC, imm relative as a call's.
          // imm holds clang's byte addend (against the section symbol) or 0 (against the function's own).
          const targetPc = textBase + (sym.value + insn.imm) / 8;
          if (!Number.isInteger(targetPc)) throw new InputError(`${at}: ld_imm64 of ${sym.name || '.text'}+${insn.imm} is not on an instruction`, where);
          insn.src = Imm64Src.CODE_ADDR;
          insn.imm = targetPc - pc - 1;
        } else if (sym.shndx === 0) {
          throw new InputError(`${at}: ld_imm64 of extern ${sym.name}, which is not a __kconfig extern (__ksym externs are not supported)`, where);
        } else throw new InputError(`${at}: ld_imm64 of ${sym.name || symSec?.name}, which is neither a map, global data nor a function`, where);
      } else if (rel.type === R_BPF_64_32) {
        // A call into .text: make imm relative to the subprogram's place after this program.
        const symSec = elf.sections[sym.shndx];
        if (symSec?.name !== '.text') throw new InputError(`${at}: call relocation to ${sym.name} outside .text`, where);
        const targetPc = textBase + (sym.type === STT_FUNC ? sym.value / 8 : sym.value / 8 + insn.imm + 1);
        insn.imm = targetPc - pc - 1;
      } else if (rel.type === R_BPF_64_ABS64 || rel.type === R_BPF_64_ABS32 || rel.type === R_BPF_64_NODYLD32) {
        // Debug-info relocations: nothing for the program.
      } else throw new InputError(`${at}: unknown relocation type ${rel.type}`, where);
    }
  };

  const programs: BpfProgram[] = [];
  const unknownSections: string[] = [];
  for (const sec of elf.sections) {
    const pk = programKind(sec.name);
    if (!pk && (sec.flags & SHF_EXECINSTR) !== 0 && sec.size > 0 && sec.name !== '.text') unknownSections.push(sec.name);
    if (!pk || sec.size === 0) continue;
    const all = code(sec);
    const funcs = elf.symbols.filter((s) => s.shndx === sec.index && s.type === STT_FUNC).sort((a, b) => a.value - b.value);
    for (const fn of funcs) {
      const start = fn.value / 8;
      const len = (fn.size || sec.size - fn.value) / 8;
      if (!Number.isInteger(start) || !Number.isInteger(len) || len <= 0 || start + len > all.length) {
        throw new InputError(`${sec.name}: function ${fn.name} (bytes ${fn.value}..${fn.value + fn.size}) is not whole instructions inside its section`, where);
      }
      // The whole section is relocated in place, then the program's slice taken; .text follows it.
      const secCopy = all.map((i) => ({ ...i }));
      const usesText = (elf.relocations.get(sec.index) ?? []).some((r) => r.type === R_BPF_64_32 || (r.type === R_BPF_64_64 && elf.sections[elf.symbols[r.symbol]?.shndx ?? -1]?.name === '.text'));
      const text = usesText ? textInsns.map((i) => ({ ...i })) : [];
      const combined = [...secCopy, ...text];
      relocate(sec, combined, 0, secCopy.length);
      if (textSec && usesText) relocate(textSec, combined, secCopy.length, secCopy.length);
      const poisonedAt = new Map<number, string>();
      applyCore(combined, 0, btf, opts.targetBtf, ext.core.filter((c) => c.section === sec.name), where, poisonedAt);
      if (textSec && usesText) applyCore(combined, secCopy.length, btf, opts.targetBtf, ext.core.filter((c) => c.section === '.text'), where, poisonedAt);
      // Keep this function's instructions and the .text functions it reaches, as libbpf appends
      // only the subprograms a program uses: an unused one would be unreachable code to the verifier.
      const pieces = linkedPieces(combined, start, len, usesText ? textFunctions.map(([s, n]) => [secCopy.length + s, n]) : [], `${sec.name}: ${fn.name}`, where);
      const lines = new Map<number, string>();
      for (const l of ext.lines) {
        const at = l.section === sec.name ? l.insnOff / 8 : usesText && l.section === '.text' ? secCopy.length + l.insnOff / 8 : -1;
        if (at < 0 || (l.section === sec.name && (at < start || at >= start + len))) continue;
        const moved = pieces.place(at);
        if (moved >= 0) lines.set(moved, lineText(l));
      }
      const globals = new Map<number, GlobalFunction>();
      if (usesText) {
        textFunctions.forEach(([first], f) => {
          const sym = textSymbols[f];
          const at = pieces.place(secCopy.length + first);
          if (!sym || sym.bind !== STB_GLOBAL || at < 0) return;
          const args = globalArgs(btf, sym.name, pk.kind);
          if (args) globals.set(at, { name: sym.name, args });
        });
      }
      const poisoned = new Map<number, string>();
      for (const [at, relo] of poisonedAt) {
        const moved = pieces.place(at);
        if (moved >= 0) poisoned.set(moved, relo);
      }
      programs.push({ name: fn.name, section: sec.name, ...pk, insns: pieces.insns, lines, globals, poisoned });
    }
  }
  if (programs.length === 0) {
    const unknown = unknownSections.length ? `; not program types: ${unknownSections.map((n) => `SEC("${n}")`).join(', ')}` : '';
    throw new InputError(`no programs: no section has a known SEC name (tracepoint/, kprobe/, uprobe/, ...)${unknown}`, where);
  }
  return {
    programs, maps, license, btf, unknownSections, ...(opts.targetBtf ? { kernelBtf: opts.targetBtf } : {}),
    program: (name) => programs.find((p) => p.name === name),
    map: (name) => maps.find((m) => m.name === name)?.map,
  };
}

const STB_GLOBAL = 1;

/** BTF kind names as the kernel's log prints them (btf_kind_str). */
const KIND_NAMES = ['UNKNOWN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64'];

/**
 * A global function's arguments from its BTF prototype, as the kernel's btf_prepare_func_args
 * reads them: integers and enums are scalars, a pointer to the program type's context struct the
 * context, a pointer to any other sized type that much memory (or NULL); undefined when the
 * object's BTF has no such function (it is then verified as a static one).
 */
function globalArgs(btf: Btf, name: string, kind: ProgramKind): GlobalArg[] | undefined {
  const fn = btf.named(name).map((id) => btf.type(id)!).find((t) => t.kind === Kind.FUNC);
  const proto = fn && btf.type(fn.type);
  if (!proto || proto.kind !== Kind.FUNC_PROTO) return undefined;
  const ctxStruct = kind === 'kprobe' || kind === 'kretprobe' || kind === 'uprobe' || kind === 'uretprobe' || kind === 'usdt' ? 'pt_regs' : undefined;
  return proto.members.map((p, i): GlobalArg => {
    const t = btf.resolve(p.type);
    if (t && (t.kind === Kind.INT || t.kind === Kind.ENUM || t.kind === Kind.ENUM64)) return { kind: 'scalar' };
    if (t && t.kind === Kind.PTR) {
      const to = btf.resolve(t.type);
      if (to && to.kind === Kind.STRUCT && to.name === ctxStruct) return { kind: 'ctx' };
      const size = to && to.kind !== Kind.FUNC_PROTO && to.kind !== Kind.FWD ? btf.sizeOf(t.type) : 0;
      if (size > 0) return { kind: 'mem', size };
      return { kind: 'unsupported', why: `arg#${i} reference type('${KIND_NAMES[to?.kind ?? 0]} ${to?.name ?? ''}') size cannot be determined: -22` };
    }
    return { kind: 'unsupported', why: `Arg#${i} type ${KIND_NAMES[t?.kind ?? 0]} in ${name}() is not supported yet.` };
  });
}

/** A program's instructions as linked: its own, then the functions it reaches; `place` gives an instruction's new index (-1: left out). */
interface Linked {
  insns: Instruction[];
  place(oldPc: number): number;
}

/** The instruction an instruction's imm is relative to: a bpf-to-bpf call's callee, or a function address's function; -1 for others. */
function relativeTarget(insn: Instruction, pc: number): number {
  if (insn.opcode === (Class.JMP | JmpOp.CALL) && insn.src === CallSrc.LOCAL) return pc + 1 + insn.imm;
  return codeAddressTarget(insn, pc);
}

/**
 * Links one program out of `combined` (its section, then .text, both relocated): the program's
 * instructions [start, start + len), then each function of `functions` ([first, length] in
 * `combined`) it reaches through calls and function addresses, transitively, in .text order, with
 * every relative offset fixed for the new places.
 */
function linkedPieces(combined: Instruction[], start: number, len: number, functions: [number, number][], what: string, where: string): Linked {
  const chosen = new Set<number>();
  const work: [number, number][] = [[start, len]];
  while (work.length) {
    const [from, n] = work.pop()!;
    for (let pc = from; pc < from + n; pc++) {
      const t = relativeTarget(combined[pc]!, pc);
      if (t < 0 || (t >= start && t < start + len)) continue;
      const f = functions.findIndex(([s, k]) => t >= s && t < s + k);
      if (f < 0) throw new InputError(`${what}: insn ${pc - start}: calls or takes the address of insn ${t - start}, outside the program and .text`, where);
      if (!chosen.has(f)) {
        chosen.add(f);
        work.push(functions[f]!);
      }
    }
  }
  const pieces: [number, number][] = [[start, len], ...functions.filter((_, i) => chosen.has(i))];
  const bases: number[] = [];
  let total = 0;
  for (const [, n] of pieces) {
    bases.push(total);
    total += n;
  }
  const place = (oldPc: number): number => {
    const i = pieces.findIndex(([s, n]) => oldPc >= s && oldPc < s + n);
    return i < 0 ? -1 : bases[i]! + oldPc - pieces[i]![0];
  };
  const insns: Instruction[] = [];
  for (const [from, n] of pieces) {
    for (let pc = from; pc < from + n; pc++) {
      const insn = combined[pc]!;
      const t = relativeTarget(insn, pc);
      if (t >= 0) insn.imm = place(t) - insns.length - 1;
      insns.push(insn);
    }
  }
  return { insns, place };
}

/** Bytes of struct bpf_map_def up to max_entries; map_flags follows when the definition is 20 bytes or more. */
const LEGACY_DEF_MIN = 16;

/**
 * The legacy `maps` section, as libbpf read it before 1.0: one struct bpf_map_def per symbol, each
 * definition section size / symbol count bytes long; bytes past the fields libbpf knew must be zero.
 */
/**
 * A perf_event_array that leaves max_entries out gets one entry per possible CPU, as libbpf gives
 * it (libbpf-tools declare theirs so; bpf(2) itself would refuse max_entries 0).
 */
function withCpuDefault(def: { type: number; maxEntries: number }, possibleCpus: number): void {
  if (def.type === BPF_MAP_TYPE_PERF_EVENT_ARRAY && def.maxEntries === 0) def.maxEntries = possibleCpus;
}

function legacyMaps(elf: ElfFile, sec: ElfSection, where: string): { name: string; type: number; keySize: number; valueSize: number; maxEntries: number; flags: number }[] {
  const syms = elf.symbols.filter((s) => s.shndx === sec.index && s.name && s.type !== 3 /* STT_SECTION */).sort((a, b) => a.value - b.value);
  if (syms.length === 0) throw new InputError('maps: the legacy maps section has no map symbols', where);
  const defSize = sec.size / syms.length;
  if (!Number.isInteger(defSize) || defSize % 4 !== 0 || defSize < LEGACY_DEF_MIN) {
    throw new InputError(`maps: ${sec.size} bytes for ${syms.length} maps is not a whole number of struct bpf_map_def`, where);
  }
  const dv = new DataView(sec.data.buffer, sec.data.byteOffset, sec.data.byteLength);
  return syms.map((sym) => {
    if (sym.value % defSize !== 0 || sym.value + defSize > sec.size) throw new InputError(`maps: map ${sym.name} at offset ${sym.value} is not at a definition boundary`, where);
    for (let o = 20; o < defSize; o++) {
      if (sec.data[sym.value + o] !== 0) throw new InputError(`maps: map ${sym.name} sets fields of struct bpf_map_def this loader does not know (byte ${o})`, where);
    }
    const u32 = (o: number): number => dv.getUint32(sym.value + o, true);
    return { name: sym.name, type: u32(0), keySize: u32(4), valueSize: u32(8), maxEntries: u32(12), flags: defSize >= 20 ? u32(16) : 0 };
  });
}

function lineText(l: LineInfo): string {
  return `${l.file.split('/').pop()}:${l.lineNumber}: ${l.line.trim()}`;
}


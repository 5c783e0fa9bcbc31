// libbpf's .kconfig externs: the values it gives `extern ... __kconfig` variables, in one frozen read-only map.
import { InputError } from '../../errors.js';
import { Kind, type Btf } from '../btf/index.js';
import type { ElfFile } from '../elf/index.js';
import { createGlobalDataMap, type MapEnvironment } from '../maps/index.js';
import type { BpfObjectMap, LoadOptions } from './index.js';

/** KERNEL_VERSION(a, b, c) of linux/version.h, the patch level capped at 255 as libbpf does. */
export const kernelVersionCode = ([a, b, c]: readonly [number, number, number]): number => (a << 16) + (b << 8) + Math.min(c, 255);

/** STB_WEAK: an extern declared __weak, 0 when the loader has no value for it. */
const STB_WEAK = 2;

/**
 * The value libbpf gives a .kconfig extern (bpf_object__resolve_externs): the kernel version, the
 * two features it probes for, or a CONFIG_* option; undefined when it has none.
 */
function kconfigValue(name: string, opts: LoadOptions): number | undefined {
  switch (name) {
    case 'LINUX_KERNEL_VERSION': return kernelVersionCode(opts.kernelVersion ?? [6, 18, 0]);
    // Both hold on x86-64 since 5.15 and 4.17.
    case 'LINUX_HAS_BPF_COOKIE': return 1;
    case 'LINUX_HAS_SYSCALL_WRAPPER': return 1;
    default: return opts.kconfig?.[name];
  }
}

/**
 * The .kconfig map of an object whose BTF has a .kconfig DATASEC, else undefined: each extern's
 * value laid out as libbpf lays them out (largest alignment first, then by name), the map frozen
 * like .rodata, and each extern's offset in its value for the ld_imm64s that name it. Throws
 * InputError for a strong extern without a value, as libbpf refuses the load.
 */
export function kconfigMap(btf: Btf, elf: ElfFile, opts: LoadOptions, env: MapEnvironment, where: string): { map: BpfObjectMap; offsets: Map<string, number> } | undefined {
  const datasec = btf.named('.kconfig').map((id) => btf.type(id)!).find((t) => t.kind === Kind.DATASEC);
  if (!datasec?.members.length) return undefined;
  const vars = datasec.members.map((v) => {
    const t = btf.type(v.type);
    if (t?.kind !== Kind.VAR) throw new InputError(`.kconfig: DATASEC entry names type ${v.type}, which is not a variable of .BTF`, where);
    const size = btf.sizeOf(t.type);
    const align = Math.min(8, size & -size);
    return { name: t.name, size, align };
  }).sort((x, y) => y.align - x.align || x.name.localeCompare(y.name));
  const offsets = new Map<string, number>();
  const fields: { at: number; size: number; value: number }[] = [];
  let size = 0;
  for (const v of vars) {
    const sym = elf.symbols.find((s) => s.shndx === 0 && s.name === v.name);
    let value = kconfigValue(v.name, opts);
    if (value === undefined) {
      if (sym?.bind !== STB_WEAK) throw new InputError(`extern (kcfg) '${v.name}': value not found (viotrace knows LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE and LINUX_HAS_SYSCALL_WRAPPER; give others with prog run --kconfig NAME=VALUE, or declare it __weak to get 0)`, where);
      value = 0;
    }
    if (![1, 2, 4, 8].includes(v.size)) throw new InputError(`extern (kcfg) '${v.name}': a ${v.size}-byte value (only integers and bools are supported)`, where);
    size = Math.ceil(size / v.align) * v.align;
    offsets.set(v.name, size);
    fields.push({ at: size, size: v.size, value });
    size += v.size;
  }
  const image = new Uint8Array(size);
  const view = new DataView(image.buffer);
  for (const f of fields) {
    if (f.size === 8) view.setBigUint64(f.at, BigInt.asUintN(64, BigInt(f.value)), true);
    else for (let i = 0; i < f.size; i++) image[f.at + i] = (f.value >>> (8 * i)) & 0xff;
  }
  // libbpf sets the DATASEC's offsets from its layout, so the variables print by name.
  for (const v of datasec.members) {
    const at = offsets.get(btf.type(v.type)?.name ?? '');
    if (at !== undefined) v.offset = at;
  }
  const map = createGlobalDataMap({ name: '.kconfig', section: 'kconfig', size, image }, env, `${where}: .kconfig`);
  map.freeze();
  return { map: { name: '.kconfig', map, valueType: datasec.id }, offsets };
}

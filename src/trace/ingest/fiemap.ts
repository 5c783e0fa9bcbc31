// The disk image's extents (`filefrag -e` output) and the map from a QEMU file offset to a host device sector.
import { InputError } from '../../errors.js';

/** One extent, in filesystem blocks. */
export interface Extent {
  logical: number;
  physical: number;
  length: number;
  /** filefrag's flags (`last`, `eof`, `unwritten`, `unknown_loc`, ...). */
  flags: string[];
}

/** Where a file's bytes sit on its block device. */
export interface FileExtents {
  blockSize: number;
  fileBytes: number;
  extents: Extent[];
  /**
   * Sectors to add for a filesystem on a partition: host block events report whole-disk sectors,
   * FIEMAP reports partition-relative blocks.
   */
  partitionStartSectors: number;
}

const SIZE = /^File size of .* is (\d+) \((\d+) blocks? of (\d+) bytes\)/;
const EXTENT = /^\s*\d+:\s+(\d+)\.\.\s*(\d+):\s+(\d+)\.\.\s*(\d+):\s+(\d+):\s*(?:(\d+):)?\s*(.*)$/;

/** Parses `filefrag -e FILE` output. Extents without a physical location (delalloc) are an error: sync first. */
export function parseFilefrag(text: string, file: string, partitionStartSectors = 0): FileExtents {
  let blockSize = 0;
  let fileBytes = 0;
  const extents: Extent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    const size = SIZE.exec(line);
    if (size) {
      fileBytes = Number(size[1]);
      blockSize = Number(size[3]);
      continue;
    }
    const m = EXTENT.exec(line);
    if (!m) continue;
    const flags = m[7].split(',').map((f) => f.trim()).filter(Boolean);
    if (flags.includes('unknown_loc') || flags.includes('delalloc')) {
      throw new InputError('extent has no disk location yet (delalloc): run sync before filefrag', `${file}:${i + 1}`);
    }
    extents.push({ logical: Number(m[1]), physical: Number(m[3]), length: Number(m[5]), flags });
  }
  if (!blockSize) throw new InputError('not filefrag -e output (no "File size of … blocks of N bytes" line)', file);
  if (!extents.length && fileBytes > 0) throw new InputError('filefrag output lists no extents', file);
  return { blockSize, fileBytes, extents, partitionStartSectors };
}

/**
 * The host device sector holding byte `offset` of the image, or undefined for a hole.
 * host_sector = (physical + (offset/bs - logical)) * bs/512 + (offset % bs)/512 + partition start.
 */
export function fileOffsetToDeviceSector(x: FileExtents, offset: number): number | undefined {
  const block = Math.floor(offset / x.blockSize);
  const e = findExtent(x.extents, block);
  if (!e) return undefined;
  const perBlock = x.blockSize / 512;
  return (e.physical + (block - e.logical)) * perBlock + Math.floor((offset % x.blockSize) / 512) + x.partitionStartSectors;
}

/** A contiguous run of device sectors. */
export interface SectorRange {
  sector: number;
  sectors: number;
}

/**
 * The device sector ranges of bytes [offset, offset+bytes) of the image, in file order: a request that
 * crosses an extent boundary becomes two host requests. Holes are left out.
 */
export function fileRangeToDeviceRanges(x: FileExtents, offset: number, bytes: number): SectorRange[] {
  const out: SectorRange[] = [];
  let pos = offset;
  const end = offset + bytes;
  while (pos < end) {
    const block = Math.floor(pos / x.blockSize);
    const e = findExtent(x.extents, block);
    const extentEnd = e ? (e.logical + e.length) * x.blockSize : (nextExtentByte(x, block) ?? end);
    const stop = Math.min(end, extentEnd);
    if (e) {
      const sector = fileOffsetToDeviceSector(x, pos)!;
      const sectors = Math.ceil((stop - pos) / 512);
      const last = out[out.length - 1];
      if (last && last.sector + last.sectors === sector) last.sectors += sectors;
      else out.push({ sector, sectors });
    }
    pos = stop;
  }
  return out;
}

function findExtent(extents: Extent[], block: number): Extent | undefined {
  let lo = 0;
  let hi = extents.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = extents[mid];
    if (block < e.logical) hi = mid - 1;
    else if (block >= e.logical + e.length) lo = mid + 1;
    else return e;
  }
  return undefined;
}

/** The first byte of the next extent after a hole at `block`, if any. */
function nextExtentByte(x: FileExtents, block: number): number | undefined {
  const next = x.extents.find((e) => e.logical > block);
  return next ? next.logical * x.blockSize : undefined;
}

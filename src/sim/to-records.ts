// Decoded ring-buffer records (fields by records.h names) into the typed records of src/records the correlator and traces take.
import { guestTime, hostTime, type BlockOp, type TraceRecord, type VirtioBlkType } from '../records/index.js';
import type { EmittedRecord } from './world.js';

const n = (v: bigint | string | undefined): number => Number(v ?? 0);
const big = (v: bigint | string | undefined): bigint => (typeof v === 'bigint' ? v : 0n);
const s = (v: bigint | string | undefined): string => (typeof v === 'string' ? v : '');

/** A block op from an rwbs string, as blktrace reads it. */
export function opOfRwbs(rwbs: string): BlockOp {
  if (rwbs.includes('D')) return 'discard';
  if (rwbs.includes('F') && !rwbs.includes('R') && !rwbs.includes('W')) return 'flush';
  if (rwbs.includes('W')) return 'write';
  if (rwbs.includes('R')) return 'read';
  return 'other';
}

const VIRTIO_TYPES: Record<number, VirtioBlkType> = { 0: 'in', 1: 'out', 4: 'flush', 8: 'get_id', 11: 'discard', 13: 'write_zeroes' };
const URING_OPCODES: Record<number, string> = { 1: 'READV', 2: 'WRITEV', 22: 'READ', 23: 'WRITE' };

/** The typed record of one emitted record; `vmName` labels guest records by the ring buffer they came from. */
export function toTraceRecord(r: EmittedRecord, vmName: string): TraceRecord {
  const f = r.fields;
  switch (r.struct) {
    case 'vt_guest_rq':
      return {
        kind: 'guest_rq', vm: vmName, dev: n(f['dev']), sector: n(f['sector']), nrSectors: n(f['nr_sector']), op: opOfRwbs(s(f['rwbs'])), rwbs: s(f['rwbs']),
        error: n(f['error']), hwq: n(f['hwq']), vq: n(f['vq']), head: n(f['head']), cpu: n(f['cpu']), kickSeq: n(f['kick_seq']), appUserData: big(f['app_user_data']),
        tBioQueue: guestTime(n(f['t_bio_queue'])), tRqInsert: guestTime(n(f['t_rq_insert'])), tRqIssue: guestTime(n(f['t_rq_issue'])),
        tQueueRq: guestTime(n(f['t_queue_rq'])), tVqAdd: guestTime(n(f['t_vq_add'])), tKick: guestTime(n(f['t_kick'])),
        tVringInterrupt: guestTime(n(f['t_vring_interrupt'])), tCompleteRq: guestTime(n(f['t_complete_rq'])), tRqComplete: guestTime(n(f['t_rq_complete'])),
      };
    case 'vt_guest_app_op':
      return {
        kind: 'guest_app_op', vm: vmName, pid: n(f['pid']), userData: big(f['user_data']), opcode: URING_OPCODES[n(f['opcode'])] ?? `op${n(f['opcode'])}`,
        res: n(f['res']), tSubmit: guestTime(n(f['t_submit'])), tComplete: guestTime(n(f['t_complete'])),
      };
    case 'vt_qemu_req':
      return {
        kind: 'qemu_req', qemuPid: n(f['qemu_pid']), tid: n(f['tid']), vdev: big(f['vdev']), vq: n(f['vq']), head: n(f['head']), type: VIRTIO_TYPES[n(f['type'])] ?? 'other',
        sector: n(f['sector']), nbytes: n(f['nbytes']), status: n(f['status']), userData: big(f['user_data']), mergedCount: n(f['merged_count']), notifySeq: n(f['notify_seq']),
        tHandle: hostTime(n(f['t_handle'])), tPop: hostTime(n(f['t_pop'])), tAio: hostTime(n(f['t_aio'])), tReqComplete: hostTime(n(f['t_req_complete'])),
      };
    case 'vt_uring_op':
      return {
        kind: 'uring_op', pid: n(f['pid']), tid: n(f['tid']), userData: big(f['user_data']), opcode: URING_OPCODES[n(f['opcode'])] ?? `op${n(f['opcode'])}`, fd: n(f['fd']),
        offset: n(f['offset']), nbytes: n(f['nbytes']), res: n(f['res']), punted: n(f['punted']) !== 0, resubmit: n(f['resubmit']) !== 0,
        tLuringSubmit: hostTime(n(f['t_luring_submit'])), tSubmit: hostTime(n(f['t_submit'])), tComplete: hostTime(n(f['t_complete'])),
      };
    case 'vt_host_blk':
      return {
        kind: 'host_blk', dev: n(f['dev']), sector: n(f['sector']), nrSectors: n(f['nr_sector']), op: opOfRwbs(s(f['rwbs'])), rwbs: s(f['rwbs']), error: n(f['error']),
        pid: n(f['pid']), tInsert: hostTime(n(f['t_insert'])), tIssue: hostTime(n(f['t_issue'])), tComplete: hostTime(n(f['t_complete'])),
      };
    case 'vt_kick':
      return { kind: 'kick', qemuPid: n(f['qemu_pid']), tid: n(f['tid']), gpa: big(f['gpa']), t: hostTime(n(f['t'])) };
    case 'vt_notify':
      return {
        kind: 'notify', qemuPid: n(f['qemu_pid']), tid: n(f['tid']), vdev: big(f['vdev']), vq: n(f['vq']), seq: n(f['seq']), vector: n(f['vector']),
        tNotify: hostTime(n(f['t_notify'])), tInject: hostTime(n(f['t_inject'])),
      };
    default:
      throw new Error(`unknown record struct ${r.struct}`);
  }
}

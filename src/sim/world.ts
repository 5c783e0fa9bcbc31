// A whole simulated run: guests and host wired together, paired programs on every hook, records drained, ground truth kept apart.
import { readFileSync } from 'node:fs';
import type { PathEvent } from '../correlate/index.js';
import { GuestDisk, FioJob, GUEST_COSTS, type GuestHookSite } from '../guest/index.js';
import { Device, HostKernel, Qemu, type HostHookSite } from '../host/index.js';
import { loadObject, parseBtf, type BpfObject, type Btf } from '../vm/index.js';
import { Clocks } from './clock.js';
import { RecordDecoder, type DecodedRecord } from './decode.js';
import { Engine } from './engine.js';
import { KERNEL_HEAP, SimMemory, USER_HEAP } from './memory.js';
import type { FiringLog } from './firings.js';
import { SideProbes, type AttachedProgram } from './probes.js';
import { Rng } from './random.js';
import { RELEASED_TRUTH, releaseTruth, truthEvents, type AppOp, type SimRequest } from './request.js';
import type { ScenarioSpec } from './spec.js';
import type { Topology, TraceRecord } from '../records/index.js';
import { TraceRecordDecoder } from './to-records.js';
import { DrainFrame, HostShard, type ShardData } from './shard.js';
import type { ChannelWriter } from './channel.js';

const repoFile = (p: string): URL => new URL(`../../${p}`, import.meta.url);

/** The objects and kernel BTF, read once per process. */
let shipped: { guest: Uint8Array; host: Uint8Array; btf: Btf } | undefined;
function shippedObjects(): { guest: Uint8Array; host: Uint8Array; btf: Btf } {
  shipped ??= {
    guest: readFileSync(repoFile('bpf/guest.bpf.o')),
    host: readFileSync(repoFile('bpf/host.bpf.o')),
    btf: parseBtf(readFileSync(repoFile('bpf/btf/linux-6.18.min.btf')), 'linux-6.18.min.btf'),
  };
  return shipped;
}

/** The simulated kernels' BTF (Linux 6.18's, minimal): what objects attached to the simulation resolve CO-RE against. */
export function simKernelBtf(): Btf {
  return shippedObjects().btf;
}

/** Record kinds as bpf/include/records.h numbers them. */
export const RECORD_STRUCTS = ['', 'vt_guest_rq', 'vt_guest_app_op', 'vt_qemu_req', 'vt_uring_op', 'vt_host_blk', 'vt_kick', 'vt_notify'] as const;

/** One record as drained: which side and VM emitted it, its struct, its fields. */
export interface EmittedRecord {
  side: 'guest' | 'host';
  /** The VM (guest records) by topology index; host records carry qemu_pid instead. */
  vm?: number;
  struct: (typeof RECORD_STRUCTS)[number];
  fields: DecodedRecord;
}

/** The simulator's own truth about one request, on the true (host) clock. Never seen by the correlator. */
export type TruthRequest = Pick<SimRequest, 'id' | 'vm' | 'disk' | 'write' | 'sector' | 'nrSectors' | 'vq' | 'head'> & {
  events: Partial<Record<PathEvent, number>>;
};

/** Options of one run. */
export interface RunOptions {
  seed: number;
  /** Requests to complete, exactly: the run ends at the last one's completion (default: the scenario's, unless durationNs is given). */
  requests?: number;
  /** Simulated time to run for, in ns from the start, instead of a request count (with requests too, whichever comes first). */
  durationNs?: number;
  /** Ring buffer bytes per side (default: the scenario's). */
  ringBytes?: { guest: number; host: number };
  /** Called with each record as it is drained, decoded field by field. */
  onRecord?: (r: EmittedRecord) => void;
  /**
   * Called with each record as it is drained, as the typed record traces and the correlator take
   * (decoded straight from the ring buffer, cheaper than `onRecord` and `toTraceRecord`).
   */
  onTraceRecord?: (r: TraceRecord) => void;
  /** Called with each completed request's ground truth. */
  onTruth?: (t: TruthRequest) => void;
  /** BPF objects of the user's attached beside the paired programs (viotrace prog run); the run stays on one thread. */
  tools?: readonly ToolAttach[];
  /** How often user space drains the ring buffers, in simulated ns (default 1 ms). */
  drainEveryNs?: number;
  /**
   * Which programs are attached: true (default) both sides', false none (the benchmark's baseline
   * for the VM's share), one side's ('guest', 'host'), or 'empty': every hook fires into a program
   * that only returns (the benchmark's measure of what the hooks cost without the programs' work).
   */
  programs?: boolean | 'guest' | 'host' | 'empty';
  /**
   * Runs the host side's programs on a second thread (when both sides' are attached): a worker runs
   * a replica of this simulation (it is deterministic, and programs never change it) with
   * host.bpf.o attached and sends its ring buffer's records back drain by drain; this thread runs
   * guest.bpf.o and takes the host records in the order one thread would have drained them. The
   * result is the same as on one thread, except that a run stopped early (runScenarioAsync's
   * `between`) keeps the host records up to the last drain before the stop.
   */
  parallel?: boolean;
  /**
   * Records every firing of the paired programs into this log (on one thread, without tools), to
   * replay them with nothing of the simulator around them: what the programs cost by themselves.
   * The log keeps every context and read, about 13 KB a request of the baseline.
   */
  firings?: FiringLog;
  /** Called once the stack is built, before the first event: what a recording's header needs. */
  onStart?: (topology: Topology, clocks: Clocks) => void;
}

/** What a run reports besides its records. */
export interface RunResult {
  requests: number;
  appOps: number;
  simulatedNs: number;
  records: { guest: number; host: number };
  lost: { guest: number; host: number };
  /**
   * The records the paired programs counted as lost themselves (their `lost` map: each record a
   * full ring buffer refused), what a real capture reads since the kernel counts none. `lost` is
   * these plus the records lost on the way to user space (ScenarioSpec.recordLoss).
   */
  lostCounted: { guest: number; host: number };
  /** Program runs and instructions executed in the VM. */
  programRuns: number;
  instructions: number;
  events: number;
  clock: Clocks['relation'];
  /** Which guest disk is which QEMU device and host extent: what a real tool is told or reads from libvirt. */
  topology: Topology;
  /** The tools' programs (RunOptions.tools) with their run counts, and their ring buffers' counts, in the tools' order. */
  tools: ToolResult[];
}

/**
 * A BPF object of the user's, attached beside the paired programs as a second tool on the same
 * machine: on the host, or on a VM's guest kernel. Its maps are the object's own: read them after
 * the run.
 */
export interface ToolAttach {
  side: 'guest' | 'host';
  /** The guest's VM by index (default 0). */
  vm?: number;
  object: BpfObject;
  /** Its file's name, for messages. */
  name: string;
  /** Each record its ring buffers emit, as drained (bytes valid only during the call). */
  onRecord?: (bytes: Uint8Array, ring: string) => void;
  /** Each bpf_trace_printk line, with the side's clock when it printed. */
  onPrintk?: (line: string, ns: number) => void;
}

/** What a tool's programs did in a run. */
export interface ToolResult {
  name: string;
  programs: AttachedProgram[];
  instructions: number;
  /** Ring-buffer records drained, and lost because a ring was full. */
  records: number;
  lost: number;
}

/** The host's CPUs as per-CPU maps see them (the simulated host runs QEMU's threads on two). */
export const HOST_CPUS = 2;

/** Loads the paired objects with ring buffers of the run's size; a guest's per-CPU maps have a slot per vCPU. */
function objects(ring: { guest: number; host: number }): { guest: (vcpus: number) => BpfObject; host: () => BpfObject; btf: Btf } {
  const s = shippedObjects();
  const load = (bytes: Uint8Array, name: string, ringBytes: number, cpus: number): BpfObject =>
    loadObject(bytes, name, { possibleCpus: cpus, targetBtf: s.btf, mapSizes: { events: ringBytes } });
  return {
    guest: (vcpus) => load(s.guest, 'guest.bpf.o', ring.guest, vcpus),
    host: () => load(s.host, 'host.bpf.o', ring.host, HOST_CPUS),
    btf: s.btf,
  };
}

/**
 * Runs a scenario: builds each VM's guest (kernel memory, disks, fio jobs, guest.bpf.o on its
 * hooks) and the host (QEMU per VM, host kernel, device, host.bpf.o), runs until the requests are
 * done, draining the ring buffers every simulated millisecond as a user-space consumer would.
 */
export function runScenario(spec: ScenarioSpec, opts: RunOptions): RunResult {
  const sim = buildSimulation(spec, opts);
  sim.runUntilDone();
  return sim.finish();
}

/**
 * The same run, yielding to the event loop every `sliceNs` of simulated time, and with `sliceMs`
 * after that much wall time too, so that what consumers do with records (a recording's writes and
 * flushes, a dashboard drawing and reading keys) happens as it goes. The objects are loaded and
 * their programs verified first, a slice at a time as well, and a host shard's drains are awaited
 * without blocking. `between` is asked after each of these slices and waits; true stops the run
 * there (before the first simulated slice: a run of nothing).
 */
export async function runScenarioAsync(spec: ScenarioSpec, opts: RunOptions, sliceNs = 5_000_000, between?: () => boolean, sliceMs?: number): Promise<RunResult> {
  const stop = () => between?.() ?? false;
  const loaded = await prepareSimulation(spec, opts, stop);
  // Stopped before it started: a run of nothing, with no program verified or run.
  if (!loaded) return buildSimulation(spec, { ...opts, programs: false }).finish();
  const sim = buildSimulation(spec, opts, undefined, loaded);
  while ((await sim.ready(stop)) && !sim.runSlice(sliceNs, sliceMs)) {
    await new Promise((r) => setImmediate(r));
    if (stop()) break;
  }
  return sim.finish();
}

/** The objects a simulation uses, loaded ahead of building it: each VM's guest.bpf.o, and host.bpf.o. */
interface LoadedObjects {
  guest: BpfObject[];
  host: BpfObject;
}

/**
 * Loads the objects buildSimulation uses and verifies the programs it attaches on this thread (a
 * host shard's worker verifies its own), a slice at a time with the event loop let run in between:
 * building then takes the objects and finds every verdict remembered, instead of holding the event
 * loop for the loader and the verifier. `stop`, asked between slices, gives up; undefined then.
 */
async function prepareSimulation(spec: ScenarioSpec, opts: RunOptions, stop: () => boolean): Promise<LoadedObjects | undefined> {
  const objs = objects(opts.ringBytes ?? spec.ringBytes);
  const shard = opts.parallel && (opts.programs ?? true) === true;
  const slice = async <T>(load: () => T): Promise<T | undefined> => {
    await new Promise((resolve) => setImmediate(resolve));
    return stop() ? undefined : load();
  };
  const guest: BpfObject[] = [];
  for (const vm of spec.vms) {
    const o = await slice(() => objs.guest(vm.vcpus));
    if (!o || (attaches(opts, 'guest') && !(await SideProbes.prepare(o, stop)))) return undefined;
    guest.push(o);
  }
  const host = await slice(() => objs.host());
  if (!host || (!shard && attaches(opts, 'host') && !(await SideProbes.prepare(host, stop)))) return undefined;
  return { guest, host };
}

/** A built simulation: run it to completion at once or in slices, then collect its result. */
interface Simulation {
  runUntilDone(): void;
  /**
   * Resolves true when a slice can start without blocking the thread: at once, or with a host
   * shard, once its next drain has arrived; false when `stop` gave up the wait.
   */
  ready(stop: () => boolean): Promise<boolean>;
  /** Runs `sliceNs` more simulated time, or until `sliceMs` of wall time has passed; true when the run is done. */
  runSlice(sliceNs: number, sliceMs?: number): boolean;
  finish(): RunResult;
}

/** Whether the run attaches `side`'s programs. */
function attaches(opts: RunOptions, side: 'guest' | 'host'): boolean {
  const p = opts.programs ?? true;
  return p === true || p === 'empty' || p === side;
}

/** The object with every program made `r0 = 0; exit` (`programs: 'empty'`): the hooks fire, the programs do nothing. */
function emptied(o: BpfObject, opts: RunOptions): BpfObject {
  if (opts.programs !== 'empty') return o;
  for (const p of o.programs) p.insns = [{ opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
  return o;
}

function buildSimulation(spec: ScenarioSpec, opts: RunOptions, shardOut?: ChannelWriter, loaded?: LoadedObjects): Simulation {
  const engine = new Engine();
  const rng = new Rng(opts.seed);
  // The host has been up 76 hours; t0 is the start, so offsetNs is the guest-host difference then.
  const hostStartNs = 76 * 3_600_000_000_000;
  const clocks = new Clocks({ hostStartNs, offsetNs: spec.clock.offsetNs, driftPpm: spec.clock.driftPpm, t0: hostStartNs });
  const ring = opts.ringBytes ?? spec.ringBytes;
  const objs = objects(ring);
  /** Job clones with an end of their own (JobSpec ioBytes, ios): the run is over when all are done, if it has any. */
  let jobsLeft = spec.vms.reduce((n, v) => n + v.disks.reduce((m, d) => m + d.jobs.reduce((k, j) => k + (j.ioBytes !== undefined || j.ios !== undefined ? j.numjobs : 0), 0), 0), 0);
  const target = opts.requests ?? (opts.durationNs !== undefined || jobsLeft > 0 ? Infinity : spec.requests);
  const durationNs = opts.durationNs ?? Infinity;
  if (jobsLeft === 0) jobsLeft = -1;
  /** Whether the run has done what it was asked: its requests, its simulated time, or its jobs' I/O. */
  const over = (): boolean => completed >= target || engine.now >= durationNs || jobsLeft === 0;

  let completed = 0;
  let appOps = 0;
  const records = { guest: 0, host: 0 };
  let nextId = 1;

  // Host: one device, the host kernel, host.bpf.o with QEMU processes' memories.
  const qemus: Qemu[] = [];
  const hostObject = emptied(loaded?.host ?? objs.host(), opts);
  // With `parallel`, a worker runs the host side's programs (see HostShard); this thread attaches none there.
  const shard = opts.parallel && (opts.programs ?? true) === true && !shardOut && !opts.tools?.length ? new HostShard(spec, opts, ring) : undefined;
  const qemuMemory = new Map<number, SimMemory>();
  const hostKernelMemory = new SimMemory(KERNEL_HEAP);
  const hostMemory = { kernel: hostKernelMemory, user: (tgid: number) => qemuMemory.get(tgid) };
  const hostProbes = new SideProbes('host', hostObject, hostMemory, undefined, 'host.bpf.o', !shard && attaches(opts, 'host'));
  const firings = opts.firings;
  if (firings) {
    if (opts.parallel || opts.tools?.length || shardOut) throw new Error('firings are recorded on one thread, without tools');
    firings.add(hostProbes, () => new SideProbes('host', emptied(objs.host(), opts), {}, undefined, 'host.bpf.o', attaches(opts, 'host')));
  }
  const hostDecoders = new Map(RECORD_STRUCTS.slice(3).map((s) => [s, new RecordDecoder(hostObject.btf, s)]));
  // Records lost at random on the way to user space (spec.recordLoss), from their own random stream.
  const lossRng = rng.fork(7);
  const dropped = { guest: 0, host: 0 };
  /**
   * Decodes each drained record (`size` bytes at `data[off]`) by its kind and hands it on, counted
   * per side; with nothing to hand it to, only counts it (no view of its bytes is made).
   */
  const recordSink = (side: 'guest' | 'host', decoders: Map<string, RecordDecoder>, typed: TraceRecordDecoder, vm?: number) => {
    const vmName = vm === undefined ? '' : spec.vms[vm]!.name;
    return (data: Uint8Array, off: number, size: number): void => {
      const loss = spec.recordLoss?.[side] ?? 0;
      if (loss > 0 && lossRng.uniform() < loss) {
        dropped[side]++;
        return;
      }
      records[side]++;
      if (!opts.onRecord && !opts.onTraceRecord) return;
      const struct = RECORD_STRUCTS[data[off]! | (data[off + 1]! << 8) | (data[off + 2]! << 16) | (data[off + 3]! << 24)];
      const d = struct === undefined ? undefined : decoders.get(struct);
      if (!d) return;
      const bytes = data.subarray(off, off + size);
      if (opts.onRecord) opts.onRecord({ side, ...(vm === undefined ? {} : { vm }), struct: struct!, fields: d.decode(bytes) });
      if (opts.onTraceRecord) opts.onTraceRecord(typed.decode(struct!, bytes, vmName));
    };
  };
  /**
   * A side's hook sites, firing at a true time with that side's clock reading it: the paired
   * programs', then each tool's on the same hook.
   */
  const hookSite = (paired: SideProbes, tools: readonly SideProbes[] = []): GuestHookSite & HostHookSite => {
    const all = [paired, ...tools];
    for (const p of all) p.useClock(clocks);
    const chain = <S extends { also: S | undefined }>(sites: (S | undefined)[]): S | undefined => {
      const on = sites.filter((s): s is S => s !== undefined);
      for (let i = 0; i + 1 < on.length; i++) on[i]!.also = on[i + 1];
      return on[0];
    };
    return {
      on: all.some((p) => p.attached),
      tracepoint: (name, fields) => chain(all.map((p) => p.tracepointSite(name, fields))),
      probe: (kind: 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe', name, argc) => chain(all.map((p) => p.probeSite(kind, name, argc))),
      rawTracepoint: (event) => chain(all.map((p) => p.rawTracepointSite(event))),
      fexit: (name, argc) => chain(all.map((p) => p.fexitSite(name, argc))),
    };
  };
  /** The tools' probes: on the host, or on their VM's kernel (made with it); records counted as drained. */
  const toolProbes: { tool: ToolAttach; probes: SideProbes; records: number }[] = [];
  const attachTool = (tool: ToolAttach, memory: ConstructorParameters<typeof SideProbes>[2]): SideProbes => {
    const probes = new SideProbes(tool.side, tool.object, memory, undefined, tool.name);
    probes.onRecord = tool.onRecord;
    const printk = tool.onPrintk;
    if (printk) probes.onPrintk = (line) => printk(line, probes.clockNs);
    toolProbes.push({ tool, probes, records: 0 });
    return probes;
  };
  const drainTools = (): void => {
    for (const t of toolProbes) t.records += t.probes.drain();
  };
  const hostTools = (opts.tools ?? []).filter((t) => t.side === 'host').map((t) => attachTool(t, hostMemory));
  const hostSinkAt = recordSink('host', hostDecoders, new TraceRecordDecoder(hostObject.btf, RECORD_STRUCTS.slice(3)));
  const hostSink = (bytes: Uint8Array): void => hostSinkAt(bytes, 0, bytes.length);
  // A host shard sends every record raw: losses, counting and decoding happen where the records are taken.
  const shardFrame = shardOut ? new DrainFrame(shardOut.maxPayload) : undefined;
  if (shardFrame) hostProbes.onRecord = (bytes) => shardFrame.add(bytes);
  else hostProbes.onRecordAt = hostSinkAt;
  const hostHooks: HostHookSite = hookSite(hostProbes, hostTools);
  const device = new Device(spec.host.device, engine, rng.fork(1));
  const hostKernel = new HostKernel(engine, rng.fork(2), hostHooks, device, hostKernelMemory, objs.btf);

  const guestProbes: SideProbes[] = [];
  const topology: Topology = { vms: [], hostDevices: [{ dev: hostKernel.dev, name: spec.host.device.name, model: `simulated ${spec.host.device.name}` }] };

  spec.vms.forEach((vmSpec, vm) => {
    const kernel = new SimMemory(KERNEL_HEAP);
    const guestObject = emptied(loaded?.guest[vm] ?? objs.guest(vmSpec.vcpus), opts);
    const probes = new SideProbes('guest', guestObject, { kernel }, undefined, 'guest.bpf.o', attaches(opts, 'guest'));
    guestProbes.push(probes);
    firings?.add(probes, () => new SideProbes('guest', emptied(objs.guest(vmSpec.vcpus), opts), {}, undefined, 'guest.bpf.o', attaches(opts, 'guest')));
    const decoders = new Map(RECORD_STRUCTS.slice(1, 3).map((s) => [s, new RecordDecoder(guestObject.btf, s)]));
    probes.onRecordAt = recordSink('guest', decoders, new TraceRecordDecoder(guestObject.btf, RECORD_STRUCTS.slice(1, 3)), vm);
    const guestTools = (opts.tools ?? []).filter((t) => t.side === 'guest' && (t.vm ?? 0) === vm).map((t) => attachTool(t, { kernel }));
    const hooks: GuestHookSite = hookSite(probes, guestTools);
    const disks: GuestDisk[] = [];
    const qemu = new Qemu(
      { engine, rng: rng.fork(10 + vm), hooks: hostHooks, kernel: hostKernel, deliver: (disk, vq, t) => disks[disk]!.interrupt(vq, t) },
      vm, spec.host, new SimMemory(USER_HEAP + vm * 0x1_0000_0000), hostObject.btf, vmSpec.vcpus,
    );
    qemus.push(qemu);
    qemuMemory.set(qemu.pid, qemu.memory);
    const jobs: FioJob[] = [];
    const diskRng = rng.fork(100 + vm);
    vmSpec.disks.forEach((diskSpec, d) => {
      const vqs = qemu.addDisk(diskSpec, d);
      const disk = new GuestDisk(
        {
          engine, rng: diskRng, hooks, kernel, kernelBtf: objs.btf,
          notify: (vq, t) => {
            const exitNs = diskRng.lognormal(GUEST_COSTS.vmExit, 0.2);
            qemu.kick(d, vq, t, exitNs, vq.index);
            return exitNs;
          },
          completed: (rq: SimRequest) => {
            completed++;
            opts.onTruth?.({ id: rq.id, vm, disk: d, write: rq.write, sector: rq.sector, nrSectors: rq.nrSectors, vq: rq.vq, head: rq.head, events: truthEvents(rq.truth) });
            releaseTruth(rq.truth);
            rq.truth = RELEASED_TRUTH;
          },
          appCompleted: (op: AppOp, t: number) => {
            appOps++;
            const job = jobs[op.job]!;
            job.reaped(op);
            if (job.finished()) jobsLeft--;
            refill(disk, job, t + diskRng.lognormal(GUEST_COSTS.appThink, 0.2));
          },
          enough: () => completed >= target,
          nextRequestId: () => nextId++,
        },
        vm, d, diskSpec, vqs, d * 16,
      );
      disks.push(disk);
      diskSpec.jobs.forEach((jobSpec) => {
        for (let j = 0; j < jobSpec.numjobs; j++) {
          const job = new FioJob(jobSpec, jobs.length, diskRng.fork(jobs.length), jobs.length % vmSpec.vcpus);
          jobs.push(job);
          const start = diskRng.uniform() * 20_000;
          engine.at(start, () => refill(disk, job, start));
        }
      });
    });
    topology.vms.push({
      name: vmSpec.name, qemuPid: qemu.pid, vcpus: vmSpec.vcpus,
      disks: disks.map((d, i) => {
        const ds = vmSpec.disks[i]!;
        const dev = qemu.devices[i]!;
        return {
          name: ds.name, guestDev: d.dev, vdev: BigInt(dev.vdev), numQueues: ds.queues, queueSize: ds.queueSize,
          notifyGpa: dev.vqs.map((q) => BigInt(q.notifyGpa)), msiVector: dev.vqs.map((q) => q.msiVector),
          hostFile: `/var/lib/libvirt/images/${vmSpec.name}-${ds.name}.raw`, hostDev: hostKernel.dev,
          extents: [{ fileOffset: 0, deviceOffset: ds.hostOffset, length: ds.sizeBytes }],
        };
      }),
    });
  });

  /** fio keeps iodepth full, submitting `batch` SQEs per io_uring_enter (or at its rate). */
  const lastSubmit = new Map<FioJob, number>();
  /** Rate-limited jobs with a refill waiting for their next slot: one each, however many completions asked. */
  const waiting = new Set<FioJob>();
  /**
   * A rate-limited job's refill at its next slot, unless one waits already (it will see all the
   * room there is then): a refill per completion, each putting itself off slot after slot, made
   * the events grow with the run and the run quadratic.
   */
  function refillAt(disk: GuestDisk, job: FioJob, at: number): void {
    if (waiting.has(job)) return;
    waiting.add(job);
    engine.at(at, () => {
      waiting.delete(job);
      // At the slot's own time, not the engine's (rounded to the ns, which may fall before it).
      refill(disk, job, at);
    });
  }
  function refill(disk: GuestDisk, job: FioJob, t: number): void {
    if (over()) return;
    const rate = job.spec.rateIops;
    if (rate) {
      const next = (lastSubmit.get(job) ?? -Infinity) + 1e9 / rate;
      if (next > t) {
        refillAt(disk, job, next);
        return;
      }
    }
    let room = job.room();
    while (room > 0) {
      const n = rate ? 1 : Math.min(room, job.spec.batch);
      const ops: { op: AppOp; sector: number }[] = [];
      for (let i = 0; i < n; i++) ops.push(job.next());
      engine.at(t, () => disk.submitBatch(ops, job.task, t));
      lastSubmit.set(job, t);
      room -= n;
      if (rate) {
        if (room > 0) refillAt(disk, job, t + 1e9 / rate);
        break;
      }
    }
  }

  opts.onStart?.(topology, clocks);
  // User space drains the ring buffers every simulated millisecond (or as told).
  const every = opts.drainEveryNs ?? 1_000_000;
  /** The host ring's records of this drain: drained here, sent on by a shard, or taken from the shard. */
  const drainHost = (): void => {
    if (shard) shard.drain(hostSink);
    else if (shardFrame) {
      hostProbes.drain();
      shardFrame.send(shardOut!, hostProbes);
    } else hostProbes.drain();
  };
  const drain = (): void => {
    for (const p of guestProbes) p.drain();
    drainHost();
    drainTools();
    if (!over()) engine.after(every, drain);
  };
  engine.after(every, drain);
  const done = (): boolean => over() || engine.pending === 0;
  return {
    runUntilDone: () => engine.run(over),
    ready: (stop) => (shard ? shard.ready(stop) : Promise.resolve(true)),
    runSlice: (sliceNs, sliceMs) => {
      const limit = engine.now + sliceNs;
      if (sliceMs === undefined) engine.run(() => over() || engine.now >= limit);
      else {
        // The clock is read every 256 events: an event is a few microseconds.
        const until = performance.now() + sliceMs;
        let n = 0;
        engine.run(() => over() || engine.now >= limit || ((++n & 255) === 0 && performance.now() >= until));
      }
      return done();
    },
    finish: () => {
      for (const p of guestProbes) p.drain();
      // Stopped early, a shard has run on past this point: keep what it drained before.
      const finished = done();
      if (!shard || finished) drainHost();
      drainTools();
      shard?.stop(finished);
      firings?.stop();
      return result();
    },
  };

  function result(): RunResult {
    return {
    requests: completed,
    appOps,
    simulatedNs: engine.now,
    records,
    lost: { guest: guestProbes.reduce((n, p) => n + p.lost, 0) + dropped.guest, host: (shard ?? hostProbes).lost + dropped.host },
    lostCounted: { guest: guestProbes.reduce((n, p) => n + (p.lostCounted ?? 0), 0), host: shard ? shard.lostCounted : hostProbes.lostCounted ?? 0 },
    programRuns: guestProbes.reduce((n, p) => n + p.runs, 0) + (shard ?? hostProbes).runs,
    instructions: guestProbes.reduce((n, p) => n + p.instructions, 0) + (shard ?? hostProbes).instructions,
    events: engine.executed,
    clock: clocks.relation,
    topology,
    tools: toolProbes.map(({ tool, probes, records: n }) => ({ name: tool.name, programs: probes.attachedPrograms(), instructions: probes.instructions, records: n, lost: probes.lost })),
    };
  }
}

/**
 * The body of a host shard's worker: the same simulation with only host.bpf.o attached, each
 * drain's host records written to the channel, then the totals. Errors go down the channel too.
 */
export function runHostShard(data: ShardData, out: ChannelWriter): void {
  const { spec, seed, requests, durationNs, ringBytes, drainEveryNs } = data;
  const sim = buildSimulation(spec, { seed, requests, ...(durationNs !== undefined ? { durationNs } : {}), ringBytes, drainEveryNs, programs: 'host' }, out);
  sim.runUntilDone();
  sim.finish();
}

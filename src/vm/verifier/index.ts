// The verifier: proves a program safe before it runs, as the kernel's does, with a log naming the instruction.
export { verify, verifyInSlices, rememberedVerdict } from './verify.js';
export { contextFor, tracingContext, mapSpec, MAX_BPF_FUNC_ARGS, COMPLEXITY_LIMIT_INSNS, PERF_MAX_TRACE_SIZE, PT_REGS_SIZE, VerifierError } from './spec.js';
export type { ContextSpec, TracingArg, GlobalArg, GlobalFunction, MapSpec, Verdict, VerifyOptions } from './spec.js';

// @bricolage/runtime: the volunteer's compute runtime — a worker running WGSL on WebGPU, import-free
// WebAssembly and ONNX models, and the pipeline that feeds it from the coordinator.
export { createVolunteer } from './volunteer';
export type { TestHooks, VisibilitySource, Volunteer, VolunteerOptions } from './volunteer-api';
export type { DroppedResult, VolunteerEvent, VolunteerState, VolunteerStatus } from './events';
export { type Outbox, type OutboxEntry, type SetAsideEntry, MemoryOutbox } from './outbox';
export type { VolunteerIdentity, ClientFailure, ClientResult } from './client/coordinator-client';
export type { BlobSource } from './client/assets';
export { ComputeHost, type ComputeHostOptions, type WorkerFactory } from './host';
export type { ComputeOutcome, DeviceProbe } from './compute/api';
export type { CalibrationOptions, CalibrationReport } from './calibration/calibrate';
export { type BackendOverrides, capabilitiesFrom, leasedBackend } from './capabilities';
export type { ComputeErrorCode } from './executors/executor';

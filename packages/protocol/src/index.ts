// @bricolage/protocol: the wire contract shared by the coordinator and the browser. Everything public is
// named here; helpers the modules share among themselves (Merkle node hashing, byte concatenation) stay private.
// The embeddable widget's contracts are the subpath `@bricolage/protocol/widget`, so that the volunteer page does
// not carry them; the peer layer's are `@bricolage/protocol/peer` (the coordinator, packages/peer, the page's peers).

// identifiers
export { BlobHash, JobId, LeaseId, ProjectId, VolunteerKey, WorkUnitId } from './ids';
export { type LeaseNumber, type WorkUnitNumber, leaseId, leaseNumber, workUnitId, workUnitNumber } from './ids';

// bytes, canonical JSON, hashing, signatures
export { concatBytes, fromBase64, fromBase64Url, fromHex, toBase64, toBase64Url, toHex, utf8 } from './bytes';
export { type CanonicalValue, canonicalBytes, canonicalJson, sha256, sha256Hex, webCrypto } from './canonical';
export {
  type Ed25519KeyPair,
  type SigningDomain,
  domainMessage,
  exportPrivateKey,
  generateSigningKeyPair,
  importPrivateKey,
  importPublicKey,
  publicKeyOf,
  sign,
  verify,
} from './signing';
export {
  jobSignatureProblem,
  jobSigningMessage,
  type SignedJobContent,
  signJob,
} from './job-signing';
export { keyFingerprint } from './key-fingerprint';

// errors
export { ERROR_CODES, ErrorBody, ErrorCode, type Failure, type Result, fail, ok } from './errors';

// jobs, work units, results (researcher side)
export {
  AdaptiveReplication,
  AddWorkUnitsResponse,
  Comparator,
  CreateJobRequest,
  DIAGNOSIS_CODES,
  ErrorTally,
  JOB_STATES,
  Job,
  type JobDefinition,
  JobProgress,
  JobState,
  JobDiagnosis,
  JobStatus,
  JobSignature,
  SigningKey,
  MAX_ERROR_TALLIES,
  REPLICA_STATES,
  Redundancy,
  ReplicaTally,
  ReplicaState,
  ResultLine,
  WORK_UNIT_STATES,
  WorkUnitCounts,
  WorkUnitLine,
  WorkUnitState,
} from './job';
export {
  BACKEND_CLASSES,
  BackendClass,
  constantBindings,
  InputCheck,
  inputCheckProblem,
  ioSizes,
  JobSpec,
  jobBlobs,
  OnnxSpec,
  TENSOR_DTYPE_BYTES,
  TensorDType,
  TensorSpec,
  WasmImplementation,
  WgslBinding,
  WgslSpec,
} from './job-spec';
export {
  CreateProjectRequest,
  CreatedProject,
  OpenFundedProjectRequest,
  ListedJob,
  ListedProject,
  Project,
  ProjectList,
  ProjectStatus,
} from './project';

// how a job's results are checked, in settings and in words
export { CheckingPolicy, checkingOf } from './checking';
export { describeChecking } from './describe-checking';

// volunteers: authentication, capabilities, leases, results
export {
  authMessageBody,
  Capabilities,
  ChallengeRequest,
  ChallengeResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  ReleaseRequest,
  ReleaseResponse,
  JobSpeed,
  Lease,
  LeasedJob,
  LeaseRequest,
  LeaseResponse,
  HeldBack,
  MAX_HEARTBEAT_JOBS,
  MAX_LEASE_REQUEST,
  MAX_RELEASED_REQUESTS,
  SubmitRequest,
  SubmitResponse,
  SubmittedResult,
  TokenRequest,
  TokenResponse,
  ExportRequest,
  ExportRequestId,
  ExportSettled,
  ExportResponse,
  ImportRequest,
  ImportResponse,
  VolunteerStats,
  WebGpuCapability,
} from './volunteer';

// a lease answer as bytes: its JSON, then the inputs it carries (the volunteer page asks for it)
export {
  acceptsLeaseFrame,
  LEASE_FRAME_ACCEPT,
  LEASE_FRAME_TYPE,
  type LeaseAnswer,
  type LeaseFrameRead,
  type LeasedUnit,
  readLeaseFrame,
  writeLeaseFrame,
} from './lease-frame';

// the operator's ban list of volunteer keys
export { Ban, BanList, BanRequest, BanResponse, UnbanResponse } from './operator';

// which backend a device runs a job on (the coordinator before leasing, the volunteer before computing)
export { type BackendChoice, backendProblem, chooseBackend, type GpuLimits, wgslLimitViolation } from './backend';

// the import-free WebAssembly work-unit ABI
export { type WasmAbiShape, wasmAbiProblem, wasmAbiShape } from './wasm-abi';

// receipts and the transparency log
export {
  ConsistencyProof,
  InclusionProof,
  ProvenReceipt,
  Receipt,
  ReceiptBody,
  CreditBody,
  DebitBody,
  ExportBody,
  ImportBody,
  ReceiptsPage,
  SignedTreeHead,
  TreeHead,
  WellKnown,
} from './receipt';
export { leafHash, rootFromLeafHashes, verifyConsistency, verifyInclusion } from './merkle';
export { netCredit, type Wallet, walletOf } from './wallet';
export { signReceiptBody, signTreeHead, verifyConsistentHeads, verifyReceipt, verifyTreeHead } from './verifier';

// routes, and the volunteer page's automation contract
export { API } from './api';
export type { GridSnapshot, PageAutomation, TabSnapshot } from './automation';
export type { Parsed, Schema } from './schema';
export { unknownFields, unknownFieldsProblem } from './unknown-fields';

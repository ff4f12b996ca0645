// @bricolage/client: the coordinator's researcher API, typed from its OpenAPI document. Browser-safe (the
// dashboard imports it); what reads files or the user's config dir is in `@bricolage/client/node`.
export {
  type AddedWorkUnits,
  type BricolageClient,
  type CallOptions,
  type ClientOptions,
  createClient,
  type JobEvent,
  type ResultItem,
  type VolunteerSigningKey,
} from './client';
export { type ClientError, type ClientErrorCode, type ClientResult, mayHaveBeenDone } from './errors';
export { DEFAULT_TIMEOUT_MS } from './timeout';
export type { components, operations, paths } from './generated/openapi';
export {
  batches,
  type CommittedBatch,
  DEFAULT_BATCH_BYTES,
  DEFAULT_BATCH_UNITS,
  newUploadId,
  type UploadOptions,
  type UploadOutcome,
  type UploadProgress,
  uploadWorkUnits,
} from './upload';
export { type LineProblem, type WorkUnit, workUnitLine, workUnitProblem } from './work-units';
export { type JobAssets, type JobFiles, jobFromManifest, MANIFEST_FILE } from './manifest';
export { type JsonSyntaxError, jsonSyntaxError } from './json-error';
export { type ByteLine, utf8Lines } from './utf8-lines';

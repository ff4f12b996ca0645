// @bricolage/client/node: the Node-only helpers (files, stdin, the user's config dir), kept off the package
// index so that a browser bundle importing the client can never reach node:fs.
export {
  type Config,
  configDir,
  configPath,
  readConfig,
  writeConfig,
} from './node/config';
export { readJob } from './node/job-folder';
export { ensureProjectKey, type ProjectKey, projectKeyPath, readProjectKey } from './node/project-key';
export {
  type UploadState,
  clearUploadState,
  readUploadState,
  uploadStatePath,
  writeUploadState,
} from './node/upload-state';
export { spoolStdin, type WorkUnitSource, workUnitSource } from './node/work-unit-source';

// @bricolage/receipts: the volunteer's identity, receipts, outbox and settings in IndexedDB.
export { VolunteerStore, type AddOutcome, type Rejection } from './store';
export {
  DB_NAME,
  DB_VERSION,
  DEFAULT_SETTINGS,
  type GridSetting,
  openDatabase,
  type ReceiptCheck,
  type ReceiptV1,
  type Settings,
  type StoredIdentity,
  type StoredOutboxEntry,
  type StoredReceipt,
  type StoredSetAsideEntry,
  type VolunteerSchema,
} from './schema';
export { type HeldTotals, heldTotals, type ProjectTally } from './tally';
export {
  BACKUP_FORMAT,
  MIN_PASSPHRASE,
  createKeyBackup,
  restoreKeyBackup,
  type KeyBackupFile,
  type RestoredBackup,
} from './backup';
export {
  RECEIPTS_FORMAT,
  exportReceipts,
  parseReceiptsFile,
  readReceiptsFile,
  signReceiptsFile,
  verifyReceiptsFile,
  type ParsedReceiptsFile,
  type ReceiptsFile,
  type VerifiedReceiptsFile,
} from './exchange';
export { auditReceipts, type AuditReport, type LogSource, type ReceiptVerdict } from './audit';
export { fingerprint } from './fingerprint';

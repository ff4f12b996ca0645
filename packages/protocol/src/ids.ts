// Branded identifiers: a JobId cannot be passed where a WorkUnitId is expected.
import { z } from 'zod';

export const ProjectId = z
  .string()
  .regex(/^prj_[a-z0-9]{16}$/, 'expected a project id like prj_0123456789abcdef')
  .brand<'ProjectId'>();
export type ProjectId = z.infer<typeof ProjectId>;

export const JobId = z
  .string()
  .regex(/^job_[a-z0-9]{16}$/, 'expected a job id like job_0123456789abcdef')
  .brand<'JobId'>();
export type JobId = z.infer<typeof JobId>;

/** Work units are numbered densely by the coordinator; the wire form is `wu_<n>`. */
export const WorkUnitId = z
  .string()
  .regex(/^wu_[1-9][0-9]{0,14}$/, 'expected a work unit id like wu_42')
  .brand<'WorkUnitId'>();
export type WorkUnitId = z.infer<typeof WorkUnitId>;

/** A lease is one replica of one work unit issued to one volunteer; the wire form is `ls_<n>`. */
export const LeaseId = z
  .string()
  .regex(/^ls_[1-9][0-9]{0,14}$/, 'expected a lease id like ls_42')
  .brand<'LeaseId'>();
export type LeaseId = z.infer<typeof LeaseId>;

/** A volunteer is its Ed25519 public key: 32 raw bytes as unpadded base64url (43 characters). */
export const VolunteerKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, 'expected a 32-byte Ed25519 public key in base64url')
  .brand<'VolunteerKey'>();
export type VolunteerKey = z.infer<typeof VolunteerKey>;

/**
 * An Ed25519 signature: 64 bytes in canonical unpadded base64url, 86 characters, the last carrying 2 bits
 * of the signature and 4 zero bits. A decoder ignores those 4 bits, so without the rule one signature
 * would have 16 spellings.
 */
export const Ed25519Signature = z
  .string()
  .regex(/^[A-Za-z0-9_-]{85}[AQgw]$/, 'expected a 64-byte Ed25519 signature in canonical base64url');

/** Content address of a blob: lowercase hex SHA-256. */
export const BlobHash = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'expected a lowercase hex SHA-256')
  .brand<'BlobHash'>();
export type BlobHash = z.infer<typeof BlobHash>;

/** The number inside a WorkUnitId: how the coordinator keys a work unit (its rows, its receipts' order). */
export type WorkUnitNumber = number & { readonly __brand: 'WorkUnitNumber' };
/** The number inside a LeaseId: how the coordinator keys a lease (one replica of one work unit). */
export type LeaseNumber = number & { readonly __brand: 'LeaseNumber' };

export const workUnitId = (n: number): WorkUnitId => `wu_${n}` as WorkUnitId;
export const leaseId = (n: number): LeaseId => `ls_${n}` as LeaseId;
export const workUnitNumber = (id: WorkUnitId): WorkUnitNumber => Number(id.slice(3)) as WorkUnitNumber;
export const leaseNumber = (id: LeaseId): LeaseNumber => Number(id.slice(3)) as LeaseNumber;

// Signed jobs: a project's Ed25519 key signs what a volunteer will run (the job's spec, which names every
// asset by its SHA-256, and its comparator), so that a coordinator cannot swap a job's code under the
// project's name: the volunteer checks the signature against the project's published key before it fetches
// or runs anything, and each asset against its hash as it arrives.
import type { z } from 'zod';
import { canonicalJson } from './canonical';
import { Comparator, type JobSignature } from './job';
import { JobSpec } from './job-spec';
import { keyFingerprint } from './key-fingerprint';
import { domainMessage, sign, verify } from './signing';

/** What is signed of a job: the project it runs for, its name, and the code and judgement volunteers apply. */
export interface SignedJobContent {
  readonly project: string;
  readonly name: string;
  readonly spec: z.input<typeof JobSpec>;
  readonly comparator: z.input<typeof Comparator>;
}

/**
 * The signed bytes. The spec and comparator are parsed first, so that the researcher's manifest (defaults
 * left out) and the definition the coordinator stores and leases (defaults filled in) sign the same.
 */
export function jobSigningMessage(job: SignedJobContent): Uint8Array {
  const body = canonicalJson({
    project: job.project,
    name: job.name,
    spec: JobSpec.parse(job.spec),
    comparator: Comparator.parse(job.comparator),
  } as never);
  return domainMessage('job', body);
}

export async function signJob(privateKey: CryptoKey, publicKey: string, job: SignedJobContent): Promise<JobSignature> {
  return { key: publicKey, signature: await sign(privateKey, jobSigningMessage(job)) };
}

/** Why a job may not run under its project's key, or null when its signature holds. */
export async function jobSignatureProblem(
  job: SignedJobContent & { readonly signature?: JobSignature | null | undefined },
  projectKey: string | null,
): Promise<string | null> {
  if (projectKey === null) return null;
  if (!job.signature) return `it is not signed, and its project's key is ${keyFingerprint(projectKey)}`;
  if (job.signature.key !== projectKey)
    return `it is signed by the key ${keyFingerprint(job.signature.key)}, not its project's key ${keyFingerprint(projectKey)}`;
  let message: Uint8Array;
  try {
    message = jobSigningMessage(job);
  } catch {
    return 'its definition is not a valid job';
  }
  return (await verify(projectKey, message, job.signature.signature))
    ? null
    : `its code or settings are not what its project signed (the signature by ${keyFingerprint(projectKey)} does not verify)`;
}

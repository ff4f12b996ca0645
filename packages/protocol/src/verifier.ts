// The independent receipt verifier: given only the coordinator's public key, check that a receipt was
// signed by that log and sits in the tree its signed head commits to. Also the signer-side helpers,
// so that what is signed and what is verified cannot drift apart.
import type { z } from 'zod';
import { fromHex } from './bytes';
import { canonicalBytes, canonicalJson } from './canonical';
import { fail, ok, type Result } from './errors';
import { leafHash, verifyConsistency, verifyInclusion } from './merkle';
import {
  ConsistencyProof,
  CreditBody,
  DebitBody,
  ExportBody,
  ImportBody,
  ProvenReceipt,
  type Receipt,
  type ReceiptBody,
  SignedTreeHead,
  TreeHead,
} from './receipt';
import { domainMessage, sign, verify } from './signing';

// Codes: `bad_request` when the document is malformed or does not fit together (schema, wrong log,
// mismatched index or size); `bad_signature` when a cryptographic check fails (signature, proof).

/** Signs exactly the schema's fields: extra keys are stripped first, or the receipt could never verify. */
export async function signReceiptBody(privateKey: CryptoKey, body: ReceiptBody): Promise<Receipt> {
  const schema = { credit: CreditBody, debit: DebitBody, export: ExportBody, import: ImportBody }[body.type];
  const clean = schema.strip().parse(body);
  return { body: clean, signature: await sign(privateKey, domainMessage('receipt', canonicalJson(clean))) };
}

export async function signTreeHead(privateKey: CryptoKey, head: TreeHead): Promise<SignedTreeHead> {
  const clean = TreeHead.strip().parse(head);
  return { head: clean, signature: await sign(privateKey, domainMessage('treeHead', canonicalJson(clean))) };
}

/** Accepts `unknown` on purpose: whatever a volunteer hands in is checked, never trusted. */
export async function verifyTreeHead(sth: unknown, publicKey: string): Promise<Result<TreeHead>> {
  const keyProblem = checkPublicKey(publicKey);
  if (keyProblem) return keyProblem;
  const parsed = SignedTreeHead.safeParse(sth);
  if (!parsed.success) return fail('bad_request', `not a signed tree head: ${describe(parsed.error)}`);
  return checkTreeHead(parsed.data, publicKey);
}

export async function verifyReceipt(proven: unknown, publicKey: string): Promise<Result<ReceiptBody>> {
  const keyProblem = checkPublicKey(publicKey);
  if (keyProblem) return keyProblem;
  const parsed = ProvenReceipt.safeParse(proven);
  if (!parsed.success) return fail('bad_request', `not a proven receipt: ${describe(parsed.error)}`);
  const { receipt, proof, treeHead } = parsed.data;
  const { body } = receipt;

  if (body.log !== publicKey) return fail('bad_request', 'receipt belongs to another log');
  if (!(await verify(publicKey, domainMessage('receipt', canonicalJson(body)), receipt.signature))) {
    return fail('bad_signature', 'receipt signature does not verify');
  }
  const head = await checkTreeHead(treeHead, publicKey);
  if (!head.ok) return head;
  if (proof.index !== body.index) {
    return fail(
      'bad_request',
      `inclusion proof is for index ${proof.index}, but the receipt is at index ${body.index}`,
    );
  }
  if (proof.size !== head.value.size) {
    return fail(
      'bad_request',
      `inclusion proof is for a tree of size ${proof.size}, but the tree head has size ${head.value.size}`,
    );
  }
  const leaf = await leafHash(canonicalBytes(body));
  if (!(await verifyInclusion(leaf, proof, fromHex(head.value.root)))) {
    return fail('bad_signature', "inclusion proof does not lead to the tree head's root");
  }
  return ok(body);
}

/** Checks that `newer` extends `older`: the log never rewrote what it had already published. */
export async function verifyConsistentHeads(
  older: unknown,
  newer: unknown,
  proof: unknown,
  publicKey: string,
): Promise<Result<true>> {
  const a = await verifyTreeHead(older, publicKey);
  if (!a.ok) return fail(a.error.code, `older ${a.error.message}`);
  const b = await verifyTreeHead(newer, publicKey);
  if (!b.ok) return fail(b.error.code, `newer ${b.error.message}`);
  const parsed = ConsistencyProof.safeParse(proof);
  if (!parsed.success) return fail('bad_request', `not a consistency proof: ${describe(parsed.error)}`);
  const { from, to } = parsed.data;
  if (a.value.size > b.value.size) return fail('bad_request', 'the older tree head is larger than the newer one');
  if (a.value.size === 0 && b.value.size > 0)
    return fail('bad_request', 'there is no consistency proof from the empty tree (RFC 9162)');
  if (from !== a.value.size || to !== b.value.size) {
    return fail(
      'bad_request',
      `consistency proof is from size ${from} to ${to}, but the tree heads have sizes ${a.value.size} and ${b.value.size}`,
    );
  }
  if (!(await verifyConsistency(parsed.data, fromHex(a.value.root), fromHex(b.value.root)))) {
    return fail('bad_signature', 'consistency proof does not link the older tree head to the newer one');
  }
  return ok(true);
}

async function checkTreeHead(sth: SignedTreeHead, publicKey: string): Promise<Result<TreeHead>> {
  if (sth.head.log !== publicKey) return fail('bad_request', 'tree head belongs to another log');
  if (!(await verify(publicKey, domainMessage('treeHead', canonicalJson(sth.head)), sth.signature))) {
    return fail('bad_signature', 'tree head signature does not verify');
  }
  return ok(sth.head);
}

/** Same shape as a volunteer key: 32 raw bytes as unpadded base64url, 43 characters. */
const PUBLIC_KEY = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

function checkPublicKey(publicKey: unknown): Result<never> | undefined {
  if (typeof publicKey === 'string' && PUBLIC_KEY.test(publicKey)) return undefined;
  return fail('bad_request', 'the log public key is not a 32-byte Ed25519 key in base64url');
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  return issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message;
}

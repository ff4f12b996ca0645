// The PNG codec's zlib on Node (node:zlib), its inflate bounded: the researcher's side (the CLI) and tests.
import { deflateSync, inflateSync } from 'node:zlib';
import type { Zlib } from './png';

export const nodeZlib: Zlib = {
  inflate(bytes, maxLength) {
    try {
      // zlib stops inflating once the output passes maxOutputLength, so a bomb costs no more than the limit.
      return inflateSync(bytes, { maxOutputLength: Math.max(1, maxLength) });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return null;
      throw error;
    }
  },
  deflate: (bytes) => deflateSync(bytes),
};

#!/usr/bin/env node
// `npx bricolage …`: the workspace ships TypeScript sources, so the command runs them through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');

// `npm run generate:client`: writes the typed client's types from the coordinator's OpenAPI document.
import { writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { CLIENT_TYPES_PATH, clientTypes, servedDocument } from './client-types';

const source = await clientTypes(await servedDocument());
await writeFile(CLIENT_TYPES_PATH, source);
console.log(`wrote ${relative(process.cwd(), CLIENT_TYPES_PATH)} (${source.length} characters)`);

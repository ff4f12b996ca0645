// `npm run coordinator -- project create NAME`: operator commands against the data directory.
import { resolve } from 'node:path';
import { systemClock } from './clock';
import { DEFAULT_CONFIG } from './config';
import { createProject, openStore } from './server';

const USAGE = `usage:
  npm run coordinator -- project create NAME [--description TEXT] [--owner TEXT]
  npm run coordinator -- project list
environment: DATA_DIR (default ./data)`;

// npm runs workspace scripts from the workspace folder; relative paths are the caller's (INIT_CWD).
const dataDir = process.env.DATA_DIR
  ? resolve(process.env.INIT_CWD ?? process.cwd(), process.env.DATA_DIR)
  : resolve(import.meta.dirname, '../../../data');
const [noun, verb, ...rest] = process.argv.slice(2);

function option(name: string): string | undefined {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : undefined;
}

if (noun !== 'project' || (verb !== 'create' && verb !== 'list')) {
  console.error(USAGE);
  process.exit(2);
}
const store = await openStore(dataDir, DEFAULT_CONFIG, Math.random);
try {
  if (verb === 'list') {
    for (const p of await store.listProjects()) console.log(`${p.id}  ${p.name}`);
  } else {
    const name = rest.find((a, i) => !a.startsWith('--') && !rest[i - 1]?.startsWith('--'));
    if (!name) {
      console.error(USAGE);
      process.exit(2);
    }
    const { project, token } = await createProject(store, systemClock, name, option('description'), option('owner'));
    console.log(`project ${project} created`);
    console.log(`token   ${token}`);
    console.log('Keep the token: it is shown once and is the only way to manage this project.');
  }
} finally {
  await store.close();
}

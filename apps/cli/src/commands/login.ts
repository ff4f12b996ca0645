// `bricolage login URL [--token T]`: checks the project token against the coordinator, then stores both.
import { createClient } from '@bricolage/client';
import { configDir, configPath, writeConfig } from '@bricolage/client/node';
import { createInterface } from 'node:readline/promises';
import { type ConnectionFlags, envVar, explain, refusedToken, timing, urlProblem } from '../connection';
import type { ExitCode } from '../exit';
import type { Io, Output } from '../io';

/** The first line of stdin: a token piped in, or typed at a prompt. */
async function readToken(io: Io): Promise<string> {
  const lines = createInterface({ input: io.stdin, terminal: false });
  if (io.stdin.isTTY) io.stderr.write('project token (brk_…): ');
  try {
    for await (const line of lines) return line.trim();
    return '';
  } finally {
    lines.close();
  }
}

export async function loginCommand(out: Output, url: string, flags: ConnectionFlags): Promise<ExitCode> {
  const io = out.io;
  const bad = urlProblem(url);
  if (bad) return out.fail({ code: 'invalid_input', message: bad });
  const token = flags.token ?? envVar(io, 'BRICOLAGE_TOKEN') ?? (await readToken(io));
  if (!token)
    return out.fail({ code: 'unauthorized', message: 'no project token given (--token, BRICOLAGE_TOKEN or stdin)' });
  const client = createClient({ url, token, ...timing(flags) });
  const project = await client.myProject(io.signal ? { signal: io.signal } : {});
  if (!project.ok)
    return out.fail(
      project.error,
      `${explain(project.error, { url: client.url, refusedToken: refusedToken(client.url) }) ?? ''} Nothing was stored.`.trim(),
    );
  const dir = configDir(io.env);
  writeConfig(dir, { url: client.url, token, project: { id: project.value.id, name: project.value.name } });
  return out.done({ url: client.url, project: project.value, config: configPath(dir) }, [
    `logged in to ${client.url} as project ${project.value.name} (${project.value.id})`,
    `login stored in ${configPath(dir)} (mode 0600)`,
  ]);
}

// Files a researcher drops or picks, with their paths: a dropped folder is walked, a picked folder keeps
// the paths the browser gives (webkitRelativePath).

export interface Picked {
  readonly path: string;
  readonly file: File;
}

export const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

export function picked(list: FileList | readonly File[]): Picked[] {
  return [...list].map((file) => ({
    path: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name,
    file,
  }));
}

const fileOf = (entry: FileSystemFileEntry) => new Promise<File>((resolve, reject) => entry.file(resolve, reject));

async function entries(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  // readEntries answers in pieces (100 at a time in Chromium) until it answers with none.
  for (;;) {
    const some = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (some.length === 0) return all;
    all.push(...some);
  }
}

async function walk(entry: FileSystemEntry, prefix: string, out: Picked[]): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) out.push({ path, file: await fileOf(entry as FileSystemFileEntry) });
  else if (entry.isDirectory)
    for (const e of await entries(entry as FileSystemDirectoryEntry)) await walk(e, path, out);
}

/** Everything dropped, folders walked. The entries must be taken before the first await: the list empties. */
export async function droppedFiles(data: DataTransfer): Promise<Picked[]> {
  const roots = [...data.items].map((item) => item.webkitGetAsEntry?.() ?? null);
  if (roots.every((r) => r === null)) return picked(data.files);
  const out: Picked[] = [];
  for (const root of roots) if (root) await walk(root, '', out);
  return out;
}

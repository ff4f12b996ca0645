// One grid on a store backend for the tests of a describeBackends block: a fresh data directory and database
// around each test (or around the block's tests together), and a coordinator over them, started before each
// test or by the test itself, and closed with them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProjectId } from '@bricolage/protocol';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { Clock, Random } from '../clock';
import type { CoordinatorConfig } from '../config';
import { type Coordinator, startCoordinator } from '../server';
import type { Backend, TestDatabase } from './backends';
import { Researcher } from './fixtures';

/** How a coordinator of the grid starts; what is left out is startCoordinator's default. */
export interface GridStart {
  readonly clock?: Clock;
  readonly random?: Random;
  readonly config?: Partial<CoordinatorConfig>;
  readonly log?: (message: string) => void;
  /** A project of this name, made once the coordinator is up; `researcher` holds its token. */
  readonly project?: string;
}

export interface GridFixture {
  /** The data directory is a new temporary one named `bricolage-<name>-…`. */
  readonly name: string;
  /** 'test' (the default): a new directory, database and coordinator for each test; 'block': one for all of them. */
  readonly per?: 'test' | 'block';
  /**
   * The options of the coordinator started before each test (or the block), made anew each time, so that a
   * seeded random or a clock made here starts over. Without it no coordinator runs until the test calls `start`.
   */
  readonly start?: () => GridStart;
}

export interface TestGrid {
  readonly dir: string;
  /** The backend's database, read and written behind the coordinator's back. */
  readonly db: TestDatabase;
  /** The running coordinator; throws when none is. */
  readonly coordinator: Coordinator;
  /** The project made at the first start; throws when none was. */
  readonly project: ProjectId;
  /** A researcher of `project` at the running coordinator's address. */
  readonly researcher: Researcher;
  /** Starts a coordinator on the directory and database (port 0), and makes `options.project` if named. */
  start(options?: GridStart): Promise<Coordinator>;
  /** Closes the running coordinator and starts another on the same directory and database; the project stays. */
  restart(options?: Omit<GridStart, 'project'>): Promise<Coordinator>;
  /** Closes the running coordinator (the fixture closes it after the test otherwise). */
  stop(): Promise<void>;
}

/** Registers the hooks that make and remove the grid of each test (or of the block) on `backend`. */
export function useGrid(backend: Backend, fixture: GridFixture): TestGrid {
  let dir = '';
  let db: TestDatabase | null = null;
  let coordinator: Coordinator | null = null;
  let project: { project: ProjectId; token: string } | null = null;
  let researcher: Researcher | null = null;

  const launch = async ({ project: _, ...options }: GridStart) => {
    if (!db) throw new Error('no grid here: useGrid makes one for each test (or block) only');
    if (coordinator) throw new Error('a coordinator is running already: stop or restart it');
    coordinator = await startCoordinator({ dataDir: dir, databaseUrl: db.databaseUrl, port: 0, ...options });
    if (project) researcher = new Researcher(coordinator.url, project.token);
    return coordinator;
  };
  const stop = async () => {
    await coordinator?.close();
    coordinator = null;
  };

  const setUp = async () => {
    dir = mkdtempSync(join(tmpdir(), `bricolage-${fixture.name}-`));
    db = await backend.open(dir);
    if (fixture.start) await grid.start(fixture.start());
  };
  const tearDown = async () => {
    await stop();
    project = null;
    researcher = null;
    await db?.close();
    db = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  };

  const grid: TestGrid = {
    get dir() {
      return dir;
    },
    get db() {
      if (!db) throw new Error('no grid here: useGrid makes one for each test (or block) only');
      return db;
    },
    get coordinator() {
      if (!coordinator) throw new Error('no coordinator is running');
      return coordinator;
    },
    get project() {
      if (!project) throw new Error('no project: start the grid with `project`');
      return project.project;
    },
    get researcher() {
      if (!researcher) throw new Error('no project: start the grid with `project`');
      return researcher;
    },
    start: async (options = {}) => {
      const started = await launch(options);
      if (options.project) {
        project = await started.createProject(options.project);
        researcher = new Researcher(started.url, project.token);
      }
      return started;
    },
    restart: async (options = {}) => {
      await stop();
      return launch(options);
    },
    stop,
  };

  if (fixture.per === 'block') {
    beforeAll(setUp);
    afterAll(tearDown);
  } else {
    beforeEach(setUp);
    afterEach(tearDown);
  }
  return grid;
}

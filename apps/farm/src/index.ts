// @bricolage/farm: many headless Chromium volunteers from one command, and the launch code every
// browser test and benchmark here shares.
export { BrowserTab } from './browser-tab';
export { CHROMIUM_ARGS, DEFAULT_CHROMIUM, findChromium } from './chromium';
export { humanSummary } from './display';
export {
  DEFAULT_COLLECT_EVERY_MS,
  EXIT,
  type Farm,
  type FarmOptions,
  type FarmSummary,
  type Tab,
  startFarm,
} from './farm';
export type { UnfinishedJob } from './grid-status';
export type { PageAutomation, TabSnapshot } from './snapshot';
export { survivors, treeUsage } from './procstats';

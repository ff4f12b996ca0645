// @bricolage/farm: many headless Chromium volunteers from one command, and the launch code every
// browser test and benchmark here shares.
export { BrowserTab } from './browser-tab';
export { CHROMIUM_ARGS, DEFAULT_CHROMIUM, findChromium } from './chromium';
export { humanSummary } from './display';
export { DEFAULT_COLLECT_EVERY_MS, type Farm, type FarmOptions, startFarm } from './farm';
export { EXIT, type FarmSummary } from './summary';
export type { Tab } from './tab';
export type { UnfinishedJob } from './grid-status';
export type { PageAutomation, TabSnapshot } from './snapshot';
export { survivors, treeUsage } from './procstats';

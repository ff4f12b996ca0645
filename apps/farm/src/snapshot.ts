// The page-automation contract lives in packages/protocol; re-exported for the farm's modules.
export type { PageAutomation, TabSnapshot } from '@bricolage/protocol';

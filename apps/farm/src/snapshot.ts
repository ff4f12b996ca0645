// The page-automation contract lives in packages/protocol; re-exported for the farm's modules.
export { AUTOMATION_GLOBAL, type PageAutomation, type TabSnapshot } from '@bricolage/protocol';

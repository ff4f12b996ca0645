// The volunteer page's Vite config, so that `npx vite build` / `npx vite` work from the repository root too.
export { default } from './apps/web/vite.config';

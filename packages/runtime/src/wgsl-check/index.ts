// @bricolage/runtime/wgsl-check: compiles a WGSL kernel on this browser's WebGPU before a job is made of it,
// so that a researcher sees compiler errors with their lines before anything is uploaded. Its own entry
// point: a page that checks kernels (the dashboard) does not load the volunteer runtime.
export { checkWgsl, type WgslCheck, type WgslMessage } from './check';

// WebGPU in Node through Dawn (npm `webgpu`, Chromium's own WebGPU implementation), so that the
// runtime's executors run unchanged outside a browser: in tests and in `npm run bench:gpu`, on the
// machine's GPU or, on a machine without one, on SwiftShader (the software Vulkan driver Chromium ships).
import { existsSync } from 'node:fs';

/** Debian's Chromium ships a Vulkan loader and SwiftShader's Vulkan driver of its own. */
const CHROMIUM_VULKAN = '/usr/lib/chromium/libvulkan.so.1';
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const SYSTEM_VULKAN = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
  '/usr/lib64/libvulkan.so.1',
  '/usr/lib/libvulkan.so.1',
];
/** glibc's RTLD_NODELETE (Node's os.constants.dlopen lacks it): the library stays loaded after dlclose. */
const RTLD_NODELETE = 0x1000;
const RTLD_NOW = 2;
const RTLD_GLOBAL = 256;

export type DawnAdapter = 'auto' | 'swiftshader';

export interface DawnSetup {
  /** Which Vulkan driver Dawn was pointed at: the machine's own, or Chromium's SwiftShader. */
  readonly driver: 'system' | 'swiftshader';
}

/**
 * Puts Dawn's `navigator.gpu` and WebGPU's constants (GPUBufferUsage, …) on the global object. With
 * `swiftshader`, or with `auto` on a machine that has no Vulkan loader of its own, Dawn is pointed at
 * Chromium's loader and SwiftShader: the loader is loaded first under its soname, so that Dawn's own
 * dlopen("libvulkan.so.1") finds it without LD_LIBRARY_PATH (which only counts at process start).
 * `VK_ICD_FILENAMES` / `VK_DRIVER_FILES` set by the caller are left alone.
 */
export async function installDawn(adapter: DawnAdapter = 'auto'): Promise<DawnSetup> {
  const hasSystemVulkan = SYSTEM_VULKAN.some((path) => existsSync(path));
  const driverChosen = Boolean(process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES);
  const swiftshader = adapter === 'swiftshader' || (!hasSystemVulkan && !driverChosen);
  if (swiftshader) {
    if (!existsSync(SWIFTSHADER_ICD))
      throw new Error(`SwiftShader asked for, but ${SWIFTSHADER_ICD} is missing: apt-get install chromium`);
    if (!hasSystemVulkan) preload(CHROMIUM_VULKAN);
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    delete process.env.VK_DRIVER_FILES;
  }
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const holder = globalThis as { navigator?: object };
  if (holder.navigator) Object.defineProperty(holder.navigator, 'gpu', { value: gpu, configurable: true });
  else holder.navigator = { gpu };
  return { driver: swiftshader ? 'swiftshader' : 'system' };
}

function preload(path: string): void {
  const module = { exports: {} };
  try {
    process.dlopen(module, path, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
  } catch (error) {
    // Node refuses the library as an addon ("did not self-register") after loading it, and NODELETE keeps
    // it loaded; any other failure means it was not loaded at all.
    if (!/did not self-register/.test((error as Error).message)) throw error;
  }
}

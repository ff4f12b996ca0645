// What a volunteer learns of its device before it leases: the worker's probe (WebGPU adapter, wasm, ONNX execution
// providers), the calibration that says which backend runs WGSL jobs faster (kept between visits, so a returning
// tab does not measure again), and the capabilities it reports from both. Each is measured once per volunteer.
import type { BackendClass, Capabilities } from '@bricolage/protocol';
import { calibrationKey, defaultCalibrationStore, readCalibration, writeCalibration } from './calibration/cache';
import type { CalibrationReport } from './calibration/calibrate';
import { measuresOnnx } from './calibration/onnx-mode';
import { capabilitiesFrom } from './capabilities';
import type { DeviceProbe } from './compute/api';
import type { ComputeHost } from './host';
import type { VolunteerOptions } from './volunteer-api';

export interface ExaminedDevice {
  readonly probe: DeviceProbe;
  readonly calibration: CalibrationReport | null;
  readonly capabilities: Capabilities;
}

export class DeviceExam {
  readonly #host: ComputeHost;
  readonly #options: Pick<VolunteerOptions, 'calibration' | 'calibrationCache' | 'backends'>;
  #probing: Promise<DeviceProbe> | null = null;
  #device: Promise<ExaminedDevice> | null = null;

  constructor(host: ComputeHost, options: Pick<VolunteerOptions, 'calibration' | 'calibrationCache' | 'backends'>) {
    this.#host = host;
    this.#options = options;
  }

  probed(): Promise<DeviceProbe> {
    this.#probing ??= this.#host.probe();
    return this.#probing;
  }

  examine(): Promise<ExaminedDevice> {
    this.#device ??= this.#examine();
    return this.#device;
  }

  async #examine(): Promise<ExaminedDevice> {
    const options = this.#options;
    const probe = await this.probed();
    let calibration: CalibrationReport | null = null;
    if (options.calibration !== false) {
      const store = options.calibrationCache === false ? null : (options.calibrationCache ?? defaultCalibrationStore());
      const key = calibrationKey(probe, typeof navigator === 'undefined' ? '' : navigator.userAgent);
      calibration = store ? readCalibration(store, key, Date.now()) : null;
      if (!calibration) {
        calibration = await this.#host.calibrate(options.calibration ?? {});
        if (store) writeCalibration(store, key, calibration, Date.now());
      }
    }
    return { probe, calibration, capabilities: capabilitiesFrom(probe, calibration, options.backends) };
  }

  /** The ONNX backend this device will use, as soon as it is known: from the probe when calibration cannot change it. */
  readonly onnxBackend = async (): Promise<BackendClass | null> => {
    const options = this.#options;
    const found = await this.probed();
    const calibrated =
      options.calibration !== false &&
      options.backends?.onnx === undefined &&
      measuresOnnx(found.webgpu, options.calibration?.onnx);
    return (calibrated ? (await this.examine()).capabilities : capabilitiesFrom(found, null, options.backends)).backends
      .onnx;
  };
}

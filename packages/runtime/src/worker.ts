// The compute worker's entry point: all compute happens here, never on the page's thread, so that the
// page can kill a stuck kernel by terminating this worker.
import { expose } from 'comlink';
import { ComputeService } from './compute/compute-service';

expose(new ComputeService());

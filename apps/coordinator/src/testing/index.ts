// @bricolage/coordinator/testing: simulated volunteers and a small job for tests that drive a coordinator
// from outside (the browser tests). Not for production.
export { GPU_CAPABILITIES, type HttpReply, okResult, SimVolunteer } from './sim-volunteer';

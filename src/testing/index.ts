/**
 * The testing kit, `mesibo-private-backend/testing`: starts this backend for another project's
 * test suite, with the mesibo simulator and an inbox for the codes it sends. See docs/testing-kit.md.
 * It needs no test framework: nothing here imports jest, @nestjs/testing or supertest.
 */
export { startBackend } from './start-backend';
export type { Backend, StartBackendOptions } from './start-backend';
export { RAISED_LIMITS } from './backend-settings';
export type { LimitsProfile } from './backend-settings';
export { OtpInbox } from './otp-inbox';
export type { CodeForOptions, InboxMessage } from './otp-inbox';
export { MesiboSimulator } from '../mesibo-simulator/mesibo-simulator';
export type { SimulatedUser } from '../mesibo-simulator/mesibo-simulator';
export { MESIBO_FAULT_MODES } from '../mesibo-simulator/simulator-faults';
export type { MesiboFault, MesiboFaultMode } from '../mesibo-simulator/simulator-faults';

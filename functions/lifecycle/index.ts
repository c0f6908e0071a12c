/**
 * The lifecycle engine's public API (`import … from 'byodkim/engine'`): the pure decision core, the runner
 * that applies it to one domain, the operator-request path the worker Lambda uses, the ports an
 * implementation provides, and the recorded state. Everything here is free of AWS: the adapters that
 * implement the ports against AWS live in `functions/adapters` and ship inside the Lambda bundles.
 *
 * A typical use outside the Lambdas is a test of one's own port implementation, or a dry run:
 *
 * ```ts
 * import { reconcile, initialState, type LifecyclePorts } from 'byodkim/engine';
 * const result = await reconcile(spec, ports); // one domain, until every policy waits
 * ```
 */
export { decide, decideWith, POLICIES, type Decision } from './decide';
export type { Policy } from './policy';
export {
  reconcile,
  observe,
  execute,
  isExpectedFailure,
  type DecideFn,
  type ReconcileOptions,
  type ReconcileResult,
  type StepRecord,
} from './reconciler';
export {
  handleOperatorRequest,
  toResponse,
  EMERGENCY_ACTIONS,
  type OperatorRequestOptions,
  type OperatorResult,
} from './operator-request';
export type * from './ports';
export {
  activeKey,
  inFlightKey,
  initialState,
  keyBySelector,
  rollbackCandidate,
  IN_FLIGHT_STATES,
  KEY_STATES,
  type Adoption,
  type Delegation,
  type DnsTeamRequest,
  type DomainState,
  type FailureRecord,
  type KeyRecord,
  type KeyState,
  type PendingSwitch,
  type RotationReason,
} from './state';
export type { Action, ActionOutcome } from './actions';
export type { Observations, RecordObservation } from './observations';
export {
  OPERATOR_ACTIONS,
  DISRUPTIVE_ACTIONS,
  parseWorkerPayload,
  PayloadError,
  type OperatorAction,
  type OperatorRequest,
  type OperatorResponse,
  type WorkerPayload,
} from '../core/contract';
export { resolveDomainSpec, type DomainSpec, type DomainSpecInput } from '../core/spec';
export {
  type BilingualText,
  ByodkimError,
  RefusedError,
  ConflictError,
  ServiceError,
  TransientError,
  ValidationError,
} from '../core/errors';

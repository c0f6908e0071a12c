/**
 * The answer to an operator's direct request, as the worker Lambda returns it and `byodkim --local`
 * computes it: one shape, built in one place, so the CLI reads the simulated backend and the deployed one
 * alike. `status` and `verify-dns` carry the domain's named conditions and its {@link DomainView}.
 */
import type { OperatorRequest, OperatorResponse } from '../core/contract';
import type { DomainSpec } from '../core/spec';
import type { Condition } from './conditions';
import { describeDomain, type DomainView } from './domain-view';
import {
  handleOperatorRequest,
  toResponse,
  type OperatorRequestOptions,
  type OperatorResult,
} from './operator-request';
import type { LifecyclePorts } from './ports';

/** One domain's answer to an operator. */
export interface DomainResponse extends OperatorResponse {
  /** `status` and `verify-dns`: the named conditions of the domain. */
  readonly conditions?: readonly Condition[];
  /** `status` and `verify-dns`: the domain as operators see it (table and JSON of `byodkim status`). */
  readonly view?: DomainView;
}

export interface OperatorAnswer {
  readonly status: 'ok';
  readonly domains: readonly DomainResponse[];
}

/** A request that could not be carried out: what was wrong, never a stack trace. */
export interface ErrorAnswer {
  readonly status: 'error';
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}

/** The answer for a domain the environment does not configure (no SPEC). */
export function unknownDomain(request: OperatorRequest): DomainResponse {
  return {
    action: request.action,
    domain: request.domain,
    outcome: 'refused',
    code: 'UNKNOWN_DOMAIN',
    message: {
      en: `${request.domain} is not configured in this environment: add it to the environment file and deploy`,
      ja: `${request.domain} はこの環境に設定されていません。環境ファイルに追加してデプロイしてください`,
    },
  };
}

/** Actions whose answer describes the domain (conditions and view). */
export const DESCRIBING_ACTIONS: readonly OperatorRequest['action'][] = ['status', 'verify-dns'];

/**
 * Carries out one operator request on its domain (`spec` undefined: not configured) and builds the answer;
 * `result` is the operator-request path's (for logs), absent for an unknown domain.
 */
export async function answerOperatorRequest(
  ports: LifecyclePorts,
  spec: DomainSpec | undefined,
  request: OperatorRequest,
  options: OperatorRequestOptions = {},
): Promise<{ response: DomainResponse; result?: OperatorResult }> {
  if (!spec) return { response: unknownDomain(request) };
  const result = await handleOperatorRequest(ports, spec, request, options);
  const response = toResponse(result);
  if (!DESCRIBING_ACTIONS.includes(request.action)) return { response, result };
  const last = result.result;
  const view = last.observations ? describeDomain(spec, last.state, last.observations, ports.clock.now()) : undefined;
  return {
    response: { ...response, conditions: last.conditions, ...(view ? { view } : {}) },
    result,
  };
}

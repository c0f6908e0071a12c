/**
 * The side effects a decision asks for, which the runner executes in order after recording the next state,
 * the builders the policies use for them, and `applyOutcome`, which records what an executed action
 * returned.
 */
import type { KeyBits, DomainSpec } from '../core/spec';
import { REVOCATION_VALUE, formatRecordValue, splitIntoStrings } from '../dkim/record';
import { ROUTE53_RECORD_TTL_SECONDS, type Notification } from './notifications';
import { recordLocation } from './observations';
import { withKey, type DomainState, type KeyRecord } from './state';

export type Action =
  | { readonly type: 'generate-key'; readonly keyId: string; readonly bits: KeyBits }
  | {
      readonly type: 'write-txt';
      readonly purpose: 'publish' | 'revoke' | 'placeholder';
      readonly keyId?: string;
      readonly zone: string;
      readonly name: string;
      readonly strings: readonly string[];
      readonly ttlSeconds: number;
    }
  | { readonly type: 'ses-put-signing-key'; readonly keyId: string; readonly selector: string }
  | { readonly type: 'ses-set-signing-enabled'; readonly enabled: boolean }
  | { readonly type: 'destroy-key'; readonly keyId: string; readonly recoveryWindowDays: number }
  | { readonly type: 'notify'; readonly notification: Notification; readonly deliveryOf?: DeliveryRef };

/** Which recorded request a notification delivers (its `deliveredAt` is set once it was sent). */
export type DeliveryRef =
  /** An operator notice sent once (or once per reminder period) per topic, e.g. `approval:<keyId>`. */
  | { readonly kind: 'topic'; readonly topic: string }
  | { readonly kind: 'publication'; readonly keyId: string }
  | { readonly kind: 'revocation'; readonly keyId: string }
  /** The urgent request to put the active key's record back (`KeyRecord.restoreRequest`). */
  | { readonly kind: 'restoration'; readonly keyId: string }
  | { readonly kind: 'delegation' };

/** What an executed action returned, recorded into the state by `applyOutcome`. */
export interface ActionOutcome {
  readonly publicKey?: string;
  readonly changeId?: string;
}

/** Write the key's record (route53 / delegated modes). */
export function publishAction(spec: DomainSpec, key: KeyRecord): Action {
  const { zone, name } = recordLocation(spec, key);
  return {
    type: 'write-txt',
    purpose: 'publish',
    keyId: key.keyId,
    zone,
    name,
    strings: splitIntoStrings(formatRecordValue(key.publicKey ?? '')),
    ttlSeconds: ROUTE53_RECORD_TTL_SECONDS,
  };
}

/** Write the key's record revoked, `v=DKIM1; p=` (route53 / delegated modes). */
export function revokeAction(spec: DomainSpec, key: KeyRecord): Action {
  const { zone, name } = recordLocation(spec, key);
  return {
    type: 'write-txt',
    purpose: 'revoke',
    keyId: key.keyId,
    zone,
    name,
    strings: [REVOCATION_VALUE],
    ttlSeconds: ROUTE53_RECORD_TTL_SECONDS,
  };
}

/** Give SES the key's private key and selector (BYODKIM). */
export function putSigningKeyAction(key: KeyRecord): Action {
  return { type: 'ses-put-signing-key', keyId: key.keyId, selector: key.selector };
}

/** Turn SES signing on or off. */
export function signingEnabledAction(enabled: boolean): Action {
  return { type: 'ses-set-signing-enabled', enabled };
}

/** Schedule the deletion of the key's private key in the key store. */
export function destroyKeyAction(keyId: string, recoveryWindowDays: number): Action {
  return { type: 'destroy-key', keyId, recoveryWindowDays };
}

export function notify(notification: Notification, deliveryOf?: DeliveryRef): Action {
  return { type: 'notify', notification, ...(deliveryOf ? { deliveryOf } : {}) };
}

/** Records what an executed action returned (Route 53 change ids, stored public keys, deliveries). */
export function applyOutcome(state: DomainState, action: Action, outcome: ActionOutcome, now: number): DomainState {
  if (action.type === 'generate-key' && outcome.publicKey) {
    const key = state.keys.find((k) => k.keyId === action.keyId);
    if (key && key.publicKey === undefined) return withKey(state, key.keyId, { publicKey: outcome.publicKey });
  }
  if (action.type === 'write-txt' && outcome.changeId && action.keyId) {
    const key = state.keys.find((k) => k.keyId === action.keyId);
    if (!key) return state;
    if (action.purpose === 'publish' && key.state === 'dns-requested') {
      return withKey(state, key.keyId, { route53ChangeId: outcome.changeId, route53InSyncAt: undefined });
    }
    if (action.purpose === 'revoke' && key.revocation && key.revocation.confirmedAt === undefined) {
      return withKey(state, key.keyId, { revocation: { ...key.revocation, route53ChangeId: outcome.changeId } });
    }
  }
  if (action.type === 'ses-put-signing-key' && state.switching?.keyId === action.keyId) {
    return { ...state, switching: { ...state.switching, givenAt: now } };
  }
  if (action.type === 'notify' && action.deliveryOf) {
    const ref = action.deliveryOf;
    if (ref.kind === 'topic') return { ...state, notified: { ...state.notified, [ref.topic]: now } };
    if (ref.kind === 'delegation' && state.delegation?.request) {
      return {
        ...state,
        delegation: { ...state.delegation, request: { ...state.delegation.request, deliveredAt: now } },
      };
    }
    if (ref.kind === 'restoration') {
      const key = state.keys.find((k) => k.keyId === ref.keyId);
      if (key?.restoreRequest) {
        return withKey(state, key.keyId, { restoreRequest: { ...key.restoreRequest, deliveredAt: now } });
      }
    }
    if (ref.kind === 'publication' || ref.kind === 'revocation') {
      const key = state.keys.find((k) => k.keyId === ref.keyId);
      if (ref.kind === 'publication' && key?.dnsRequest) {
        return withKey(state, key.keyId, { dnsRequest: { ...key.dnsRequest, deliveredAt: now } });
      }
      if (ref.kind === 'revocation' && key?.revocation?.request) {
        return withKey(state, key.keyId, {
          revocation: { ...key.revocation, request: { ...key.revocation.request, deliveredAt: now } },
        });
      }
    }
  }
  return state;
}

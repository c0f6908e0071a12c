/**
 * Where a new key goes: its id (`<prefix>-<yyyymmdd>-<n>`), its selector slot in delegated mode, and the
 * state that starts it (`generated`, before its key pair exists).
 */
import { makeSelector } from '../core/names';
import { slotSelector } from './observations';
import type { Ctx } from './policy';
import { activeKey, type DomainState, type KeyRecord, type RotationReason } from './state';

/** The next unused `<prefix>-<yyyymmdd>-<n>` for today. */
export function nextKeyId(ctx: Pick<Ctx, 'spec' | 'state' | 'obs' | 'now'>): string {
  const probe = makeSelector(ctx.spec.selectorPrefix, new Date(ctx.now), 1);
  const stem = probe.slice(0, -1);
  const known = [
    ...ctx.state.keys.map((k) => k.keyId),
    ...ctx.obs.keys.map((k) => k.keyId),
    ...(ctx.state.adoption?.selector ? [ctx.state.adoption.selector] : []),
  ];
  const used = known.filter((id) => id.startsWith(stem)).map((id) => Number(id.slice(stem.length)));
  const sequence = Math.max(0, ...used.filter((n) => Number.isInteger(n))) + 1;
  return makeSelector(ctx.spec.selectorPrefix, new Date(ctx.now), sequence);
}

/** Delegated mode: the key still needing its record in the slot, if any (the slot is free without one). */
function slotOccupant(state: DomainState, slot: 1 | 2): KeyRecord | undefined {
  return state.keys.find(
    (k) =>
      k.slot === slot &&
      k.state !== 'destroyed' &&
      !(k.state === 'revoked' && k.revocation?.confirmedAt !== undefined) &&
      !(k.state === 'revoked' && k.dnsRequestedAt === undefined),
  );
}

/** The slot a new key goes into (delegated mode), and what occupies it if it is not free. */
export function chooseSlot(state: DomainState): { slot: 1 | 2; occupant?: KeyRecord } {
  const current = activeKey(state)?.slot;
  const slot: 1 | 2 = current === 1 ? 2 : current === 2 ? 1 : slotOccupant(state, 1) ? 2 : 1;
  const occupant = slotOccupant(state, slot);
  return occupant ? { slot, occupant } : { slot };
}

/** Adds a new key (state `generated`) for `reason`, in the free slot when delegated. */
export function startKey(ctx: Ctx, state: DomainState, reason: RotationReason): DomainState {
  const { spec, now } = ctx;
  const keyId = nextKeyId({ ...ctx, state });
  const slot = spec.dns.kind === 'delegated' ? chooseSlot(state).slot : undefined;
  const selector = slot !== undefined ? slotSelector(spec, slot) : keyId;
  return {
    ...state,
    rotationRequestedAt: undefined,
    keys: [
      ...state.keys,
      { keyId, selector, state: 'generated', reason, createdAt: now, ...(slot !== undefined ? { slot } : {}) },
    ],
  };
}

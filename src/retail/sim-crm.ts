// crm.customers: loyalty members sign up at a store, earn points on purchases, redeem them and
// move between tiers. Only what the models need leaves the CRM (see CustomerEvent).

import { TIERS, type Member } from './chain-state.js';
import type { CustomerEvent } from './events.js';
import { customerId } from './ids.js';
import type { SimContext } from './sim-context.js';
import type { StoreState } from './store-state.js';

const SIGNUP_SHARE = 0.25;
const REDEEM_SHARE = 0.2;
/** Points at which a member reaches gold and platinum (assumed). */
const TIER_POINTS = [0, 2_000, 10_000] as const;
const CONSENT_SHARE = 0.6;

function tierFor(points: number): number {
  return points >= TIER_POINTS[2] ? 2 : points >= TIER_POINTS[1] ? 1 : 0;
}

export function customerActivity(ctx: SimContext, st: StoreState): CustomerEvent | null {
  const { rng } = ctx;
  const members = ctx.chain.members;
  let memberNo: number;
  let action: CustomerEvent['action'];
  let delta = 0;
  if (members.length < 20 || rng.chance(SIGNUP_SHARE)) {
    members.push({ homeStore: st.index, tier: 0, points: 0, consent: rng.chance(CONSENT_SHARE) });
    memberNo = members.length;
    action = 'signup';
  } else {
    memberNo = rng.int(1, members.length);
    const m = members[memberNo - 1] as Member;
    if (m.points >= 100 && rng.chance(REDEEM_SHARE)) {
      delta = -100 * rng.int(1, Math.floor(m.points / 100));
      action = 'points_redeemed';
    } else {
      delta = rng.int(5, 500);
      action = 'points_earned';
    }
    m.points += delta;
    const tier = Math.max(m.tier, tierFor(m.points));
    if (tier !== m.tier) action = 'tier_change';
    m.tier = tier;
  }
  if (!ctx.emit) return null;
  const m = members[memberNo - 1] as Member;
  return {
    event_id: ctx.eventId,
    event_ts: ctx.eventTs,
    store_id: st.store.store_id,
    customer_id: customerId(memberNo),
    action,
    tier: TIERS[m.tier] as CustomerEvent['tier'],
    points_delta: delta,
    points_balance: m.points,
    marketing_consent: m.consent,
  };
}

// How the simulated source systems name things. Ids are built from per-store or global
// counters (or the stream position), so they are deterministic and unique within a run.

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** The contract's event id for a simulated event: `sim-<seed>-<seq>`. */
export function simEventId(seed: number, seq: number): string {
  return `sim-${seed}-${seq}`;
}

export function billId(storeId: string, billNo: number): string {
  return `B-${storeId}-${pad(billNo, 7)}`;
}

export function registerId(storeId: string, register: number): string {
  return `${storeId}-R${pad(register, 2)}`;
}

export function cashierId(storeId: string, cashier: number): string {
  return `${storeId}-E${pad(cashier, 3)}`;
}

/** A cycle count is one event; a full count is split into pages, each its own event and id. */
export function countId(storeId: string, countNo: number, page?: number): string {
  const base = `CNT-${storeId}-${pad(countNo, 6)}`;
  return page === undefined ? base : `${base}-P${pad(page, 2)}`;
}

export function reservationId(storeId: string, reservationNo: number): string {
  return `RSV-${storeId}-${pad(reservationNo, 6)}`;
}

/** Online order numbers come from the stream position of the order's first event. */
export function orderId(seq: number): string {
  return `OD${pad(seq, 10)}`;
}

export function shipmentId(shipmentNo: number): string {
  return `SHP-${pad(shipmentNo, 8)}`;
}

/** Distribution centres, 12 in all (RETAIL.md, assumed two or three per region). */
export function dcId(n: number): string {
  return `DC${pad(n, 2)}`;
}

export function transferId(transferNo: number): string {
  return `TRF-${pad(transferNo, 8)}`;
}

/** Loyalty members are numbered in order of signup. */
export function customerId(memberNo: number): string {
  return `C${pad(memberNo, 8)}`;
}

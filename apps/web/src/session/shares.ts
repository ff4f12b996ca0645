// Resource shares (BOINC's): how the volunteer's throttle is split between the grids one tab serves. A pure
// function of the shares and of which grids have work, so that the rule is tested apart from any runtime.

export interface GridDemand {
  readonly id: string;
  /** The volunteer's weight for the grid, a positive integer (anything else counts as 0). */
  readonly share: number;
  /**
   * Whether the grid has work: its pipeline holds work units. False while it has none for this device, or does
   * not answer. (Not "is computing this instant": a pipeline resting at a low duty cycle would then look idle,
   * be given less, and rest more.)
   */
  readonly busy: boolean;
}

/**
 * Each grid's duty cycle (0–1): the throttle (0–1, of one core) split in proportion to the shares of the grids
 * that are busy, so the grids together never compute more than the throttle allows and a grid without work
 * leaves its time to the others. A grid that is not busy is given what it would get if every grid were busy
 * (its pipeline is only looking for work, so this costs nothing, and it starts at its fair part when work comes).
 */
export function dutyShares(throttle: number, grids: readonly GridDemand[]): Map<string, number> {
  const weight = (g: GridDemand) => (Number.isFinite(g.share) && g.share > 0 ? g.share : 0);
  const total = grids.reduce((sum, g) => sum + weight(g), 0);
  const busyTotal = grids.reduce((sum, g) => sum + (g.busy ? weight(g) : 0), 0);
  const duties = new Map<string, number>();
  for (const g of grids) {
    const pool = g.busy && busyTotal > 0 ? busyTotal : total;
    duties.set(g.id, pool > 0 ? (throttle * weight(g)) / pool : 0);
  }
  return duties;
}

/**
 * Datasets scored in this workspace (workspace state): a reopened panel or a reloaded window
 * restores their scores from the per-pair cache, with no model call.
 */
export const SCORED_KEY = 'preflens.scoredDatasets';

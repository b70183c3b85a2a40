// stylelint for the UI's CSS: the "recommended" set flags mistakes (unknown
// properties and units, invalid hex colours, duplicate selectors, empty
// blocks) and leaves formatting choices to the author.
export default {
  extends: ["stylelint-config-recommended"],
  rules: {
    "color-no-invalid-hex": true,
    "declaration-block-no-duplicate-properties": true,
    // A source-order heuristic, not an error: state selectors such as
    // [aria-pressed="true"] .x are meant to follow the base rule's block
    // and it flags them wherever components are grouped by block.
    "no-descending-specificity": null,
  },
};

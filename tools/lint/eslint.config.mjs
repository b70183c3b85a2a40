// ESLint for the UI's browser JavaScript (service/covaex_service/ui/).
// The recommended rules catch real bugs (undefined names, unreachable code,
// unused variables) without imposing a formatting style on the UI's author.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: {
      ecmaVersion: 2022,
      // Scripts are loaded with <script type="module"> or as plain scripts;
      // module parsing accepts both and enforces strict mode.
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      eqeqeq: ["error", "always"],
      "no-var": "error",
      "prefer-const": "error",
      "no-implied-eval": "error",
      "no-eval": "error",
      "no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
];

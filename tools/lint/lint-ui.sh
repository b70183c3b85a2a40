#!/usr/bin/env bash
# Lint the UI's browser code with real linters: ESLint (JS), stylelint (CSS)
# and HTMLHint (HTML and Jinja HTML templates). Usage: lint-ui.sh [UI_DIR]
# (default service/covaex_service/ui). A file kind that does not exist yet is
# reported and skipped, not failed.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
ui="${1:-service/covaex_service/ui}"
bin=tools/lint/node_modules/.bin
cfg=tools/lint
status=0

# static/vendor holds pinned third-party builds, byte-identical to their npm packages (a test checks): not ours to lint.
mapfile -t js < <(find "$ui" -type f \( -name '*.js' -o -name '*.mjs' \) -not -path '*/node_modules/*' -not -path '*/vendor/*' | sort)
mapfile -t css < <(find "$ui" -type f -name '*.css' -not -path '*/node_modules/*' | sort)
mapfile -t html < <(find "$ui" -type f \( -name '*.html' -o -name '*.html.j2' -o -name '*.j2' \) -not -path '*/node_modules/*' | sort)

if [ ${#js[@]} -gt 0 ]; then
  echo "lint-ui: eslint on ${#js[@]} file(s)"
  # ESLint ignores files outside its base path (the working directory when
  # --config is given): run it from the UI folder so any UI folder works.
  ui_abs="$(cd "$ui" && pwd)"
  rel=("${js[@]/#$ui\//}")
  (cd "$ui_abs" && "$root/$bin/eslint" --config "$root/$cfg/eslint.config.mjs" --max-warnings 0 "${rel[@]}") || status=1
else
  echo "lint-ui: no JavaScript under $ui"
fi
if [ ${#css[@]} -gt 0 ]; then
  echo "lint-ui: stylelint on ${#css[@]} file(s)"
  "$bin/stylelint" --config "$cfg/stylelint.config.mjs" "${css[@]}" || status=1
else
  echo "lint-ui: no CSS under $ui"
fi
if [ ${#html[@]} -gt 0 ]; then
  # HTMLHint parses HTML, not Jinja: a {% if %} inside a start tag hides the
  # tag from it. Lint a copy with Jinja statements and comments removed and
  # expressions replaced by a placeholder, keeping every newline so the line
  # numbers it reports are the template's own (paths under a temp folder).
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  python3 "$cfg/strip_jinja.py" "$work" "${html[@]}"
  echo "lint-ui: htmlhint on ${#html[@]} file(s) (Jinja stripped, copies under $work)"
  (cd "$work" && "$root/$bin/htmlhint" --config "$root/$cfg/.htmlhintrc" "${html[@]}") || status=1
else
  echo "lint-ui: no HTML under $ui"
fi
exit "$status"

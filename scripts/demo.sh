#!/usr/bin/env bash
# The one-command tour behind `make demo`: real runs of notebooks/train.ipynb on the
# embedded default store (.nbtrack/runs.db at the project root), a smoke test of
# notebooks/, and the runs compared side by side, plotted and written to a report; it ends
# by printing the `nbtrack ui` command that browses them. Step 5 runs the TensorBoard-style
# notebook, exports its run to event files and imports them back. Step 6 runs the
# two-notebook pipeline of notebooks/pipeline/ and prints the train run's lineage and
# which run made its model. Step 7 runs a four-run sweep two at a time and compares it. The data the runs record is the repository's own
# notebooks/data/digits.csv.gz. Expects `nbtrack` on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# a store left by an earlier demo may predate this nbtrack's schema: bring it up to date
if [ -e .nbtrack/runs.db ]; then nbtrack db upgrade; fi

step "1/7  Track a baseline run of notebooks/train.ipynb (its own parameters)"
nbtrack run notebooks/train.ipynb --name demo-baseline --tag demo=true

step "2/7  Track a second run with parameters from a file and the command line"
nbtrack run notebooks/train.ipynb -f notebooks/params.yaml -p epochs=6 --name demo-faster --tag demo=true

step "3/7  Smoke-test every notebook as a clean script (one epoch, throwaway store)"
nbtrack smoke notebooks/ -p epochs=1

step "4/7  Compare the two runs, plot their curves, write a report to share"
demo=(--where "tags.demo = 'true'" --limit 2)
nbtrack compare "${demo[@]}"
nbtrack plot "${demo[@]}" --metric val_acc --metric val_loss -o .nbtrack/demo-curves.png
nbtrack report "${demo[@]}" --title "nbtrack demo" -o .nbtrack/demo-report.html
best=$(nbtrack runs --where "tags.demo = 'true'" --sort -metrics.val_acc --limit 1 --format csv | sed -n 2p | cut -d, -f1)
nbtrack show "${best:0:8}"

step "5/7  TensorBoard both ways: a SummaryWriter notebook, its run exported to event files and imported back"
nbtrack run notebooks/tensorboard_confusion.ipynb --name demo-tensorboard --tag tb_demo=true \
    -p epochs=3 -p log_dir=../.nbtrack/demo-tb-logs
tb=$(nbtrack runs --where "tags.tb_demo = 'true'" --limit 1 --format csv | sed -n 2p | cut -d, -f1)
nbtrack show "${tb:0:8}"
nbtrack export tensorboard "${tb:0:8}" -o .nbtrack/demo-tensorboard --force
nbtrack import tensorboard .nbtrack/demo-tensorboard --name-prefix imported/
back=$(nbtrack runs --where "tags.source = 'tensorboard'" --limit 1 --format csv | sed -n 2p | cut -d, -f1)
nbtrack show "${back:0:8}"

step "6/7  Lineage: a two-notebook pipeline (prepare -> train), linked by the prepared file's content"
nbtrack run notebooks/pipeline/prepare.ipynb --name demo-prepare --tag pipeline_demo=true
nbtrack run notebooks/pipeline/train.ipynb -p epochs=3 --name demo-train --tag pipeline_demo=true
trained=$(nbtrack runs --where "tags.pipeline_demo = 'true'" --limit 1 --format csv | sed -n 2p | cut -d, -f1)
nbtrack lineage "${trained:0:8}"
nbtrack why notebooks/pipeline/models/model.pkl

step "7/7  A sweep: four runs of notebooks/train.ipynb, two at a time, in their own experiment, side by side"
sweep=$(nbtrack run notebooks/train.ipynb --grid lr=0.05,0.2 --grid epochs=2,3 -j 2 \
    --experiment demo-sweeps --name demo-sweep)
nbtrack runs --sweep "$sweep"
nbtrack compare --sweep "$sweep" --metric val_acc --metric val_loss --no-code

printf '\nThe runs are in %s; the curves in %s; the report in %s; TensorBoard files in %s.\n' \
    ".nbtrack/runs.db" ".nbtrack/demo-curves.png" ".nbtrack/demo-report.html" ".nbtrack/demo-tensorboard"
printf 'Try: nbtrack runs --help, nbtrack compare --help, or in Python: nbtrack.runs()\n'

# the web UI over the same runs: printed, not started (it serves until Ctrl-C)
ui="$(command -v nbtrack) ui"
printf '\nBrowse these runs in the web UI (it prints the URL to open; Ctrl-C stops it):\n'
printf '    %s\n' "$ui"
printf 'On a team network (it prints a link carrying a token): %s --host 0.0.0.0\n' "$ui"

#!/usr/bin/env bash
# Train every zoo entry of one data set, one after another, on one CPU thread.
# The shipped zoo was trained with the two data sets side by side (one process per core):
#   bash training/train_zoo.sh mnist & bash training/train_zoo.sh fashion-mnist & wait
set -euo pipefail
# The data come from ganzoo's one data root: $GANZOO_DATA, else ./data.
ds=$1
for arch in gan dcgan cgan wgan wgan-gp; do
  python -m training.train "$arch-$ds" --threads 1 --quiet
done

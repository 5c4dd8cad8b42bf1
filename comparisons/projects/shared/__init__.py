"""What the project modules share: training-case construction and artifact files (common), finding
and saving artifact CSVs and PNGs (files), loss curves (curves), classification plots (classification)."""

# Settings shared by every lbsim plot script; run it before the script:
#   gnuplot -e "run='OUTDIR'" plots/common.gp plots/load.gp
#
# Variables that may be set with -e before this file runs:
#   run               the run folder to read and to write into (default '.')
#   formats           output formats, any of "png svg" (default both)
#   overload_percent  overload threshold in % of capacity, drawn as a line
#                     (default NaN: no line; lbsim reads it from
#                     summary.json)
#   actions_rows      data rows in actions.csv (default: read the file even
#                     when empty, which makes gnuplot print a warning)
# Times are seconds of virtual time; CPU is % of one instance's capacity.

if (!exists("run")) run = '.'
if (!exists("formats")) formats = "png svg"
if (!exists("overload_percent")) overload_percent = NaN
if (!exists("actions_rows")) actions_rows = -1

set datafile separator comma
# Columns are used by their names in the header row, not by position.
set datafile columnheaders
# A filtered-out point (value NaN) is skipped without breaking the line.
set datafile missing NaN

# pngcairo draws smoother lines; the libgd png terminal is the fallback for a
# gnuplot built without cairo.
png_terminal = strstrt(GPVAL_TERMINALS.' ', ' pngcairo ') ? 'pngcairo' : 'png'

# Switches the terminal to fmt ('png' or 'svg') at w x h pixels and sends the
# output to name.fmt in the run folder. Used as: eval use_terminal(...).
png_options(w, h) = png_terminal eq 'pngcairo' ? \
    sprintf("pngcairo size %d,%d font 'sans,10' noenhanced", w, h) : \
    sprintf("png size %d,%d noenhanced", w, h)
svg_options(w, h) = sprintf("svg size %d,%d font 'sans,10' noenhanced", w, h)
use_terminal(fmt, w, h) = 'set terminal '.(fmt eq 'png' ? png_options(w, h) : svg_options(w, h))
output_file(name, fmt) = run.'/'.name.'.'.fmt

# One colour per instance, in order of first appearance in instances.csv;
# the placement plot uses the same order, so an instance keeps its colour.
set linetype 1 lc rgb '#1f77b4' lw 2
set linetype 2 lc rgb '#ff7f0e' lw 2
set linetype 3 lc rgb '#2ca02c' lw 2
set linetype 4 lc rgb '#9467bd' lw 2
set linetype 5 lc rgb '#8c564b' lw 2
set linetype 6 lc rgb '#e377c2' lw 2
set linetype 7 lc rgb '#17becf' lw 2
set linetype 8 lc rgb '#bcbd22' lw 2
set linetype cycle 8

# Colours of the marks for controller actions and reference lines.
color_scale_out = '#2ca02c'
color_scale_in = '#d62728'
color_route = '#7f7f7f'
color_restart = '#9467bd'
color_limit = '#000000'
color_threshold = '#d62728'

set grid back lc rgb '#dddddd' lw 1
set key top left Left reverse opaque box lc rgb '#bbbbbb'
set xlabel 'virtual time (s)'

# Collects the distinct instance names of an instances.csv, in order of
# first appearance, into the space-separated list instance_names.
# Usage: inst_file = '...'; eval read_instance_names
read_instance_names = "instance_names = ' '; " . \
    "stats inst_file using (strstrt(instance_names, ' '.strcol('instance').' ') == 0 ? " . \
    "instance_names = instance_names.strcol('instance').' ' : 0, 0) nooutput"

# Reads an actions.csv into three parallel word lists: act_times (s),
# act_kinds and act_instances. Usage: act_file = '...'; eval read_actions
read_actions = "act_times = ''; act_kinds = ''; act_instances = ''; " . \
    "if (actions_rows != 0) { stats act_file using " . \
    "(act_times = act_times.' '.strcol('time_s'), act_kinds = act_kinds.' '.strcol('action'), " . \
    "act_instances = act_instances.' '.(strcol('instance') eq '' ? '-' : strcol('instance')), 0) nooutput }"

# Draws the actions read by read_actions as vertical lines through the whole
# panel: scale-out green, scale-in red, restart purple (all dashed) and
# routing changes thin grey. With act_labels = 1 it also writes
# "<action> <instance>" up from the bottom of the line for every action but route_change,
# which may be too frequent to label. Usage: eval mark_actions
act_labels = 1
action_color(kind) = kind eq 'scale_out' ? color_scale_out : \
    kind eq 'scale_in' ? color_scale_in : \
    kind eq 'restart' ? color_restart : color_route
mark_actions = "unset arrow; unset label; " . \
    "do for [k = 1:words(act_times)] { " . \
    "act_t = real(word(act_times, k)); act_kind = word(act_kinds, k); " . \
    "if (act_kind eq 'route_change') { " . \
    "set arrow from first act_t, graph 0 to first act_t, graph 1 nohead back lc rgb color_route lw 1 dt 3 " . \
    "} else { " . \
    "set arrow from first act_t, graph 0 to first act_t, graph 1 nohead back lc rgb action_color(act_kind) lw 1.5 dt 2; " . \
    "if (act_labels) { set label k act_kind.' '.word(act_instances, k) at first act_t, graph 0.03 " . \
    "rotate by 90 left offset -0.6, 0 tc rgb action_color(act_kind) front } } }"

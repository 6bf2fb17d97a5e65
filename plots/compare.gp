# Two runs side by side, for example two policies on the same seed: CPU per
# instance, latency percentiles, failed requests and instance count, with
# each run's actions marked and both columns on the same scales.
# Reads instances.csv, timeseries.csv and actions.csv of both runs; writes
# <out>.png and <out>.svg. Run after common.gp, with at least
#   -e "run_a='DIR_A'; run_b='DIR_B'; out='PREFIX'"
# and optionally label_a, label_b (column titles), overload_percent_a,
# overload_percent_b, actions_rows_a and actions_rows_b (as in common.gp).

if (!exists("out")) out = 'compare'
if (!exists("label_a")) label_a = run_a
if (!exists("label_b")) label_b = run_b
if (!exists("overload_percent_a")) overload_percent_a = NaN
if (!exists("overload_percent_b")) overload_percent_b = NaN
if (!exists("actions_rows_a")) actions_rows_a = -1
if (!exists("actions_rows_b")) actions_rows_b = -1

inst_a = run_a.'/instances.csv'
inst_b = run_b.'/instances.csv'
ts_a = run_a.'/timeseries.csv'
ts_b = run_b.'/timeseries.csv'

inst_file = inst_a
eval read_instance_names
names_a = instance_names
inst_file = inst_b
eval read_instance_names
names_b = instance_names

act_file = run_a.'/actions.csv'
actions_rows = actions_rows_a
eval read_actions
times_a = act_times
kinds_a = act_kinds
act_instances_a = act_instances
act_file = run_b.'/actions.csv'
actions_rows = actions_rows_b
eval read_actions
times_b = act_times
kinds_b = act_kinds
act_instances_b = act_instances

# Common scales: the larger maximum of the two runs.
larger(x, y) = x > y ? x : y
stats inst_a using 'cpu_percent' nooutput
cpu_max = STATS_max
stats inst_b using 'cpu_percent' nooutput
cpu_max = larger(cpu_max, STATS_max)
cpu_max = cpu_max > 115 ? cpu_max * 1.05 : 120
stats ts_a using 'time_s':'latency_p99_ms' nooutput
time_max = STATS_max_x
latency_max = STATS_max_y
stats ts_b using 'time_s':'latency_p99_ms' nooutput
time_max = larger(time_max, STATS_max_x)
latency_max = larger(latency_max, STATS_max_y) * 1.15 + 1e-9
stats ts_a using 'errors_per_s':'instances' nooutput
errors_max = STATS_max_x
count_max = STATS_max_y
stats ts_b using 'errors_per_s':'instances' nooutput
errors_max = larger(errors_max, STATS_max_x) * 1.15
errors_max = errors_max > 0 ? errors_max : 1
count_max = larger(count_max, STATS_max_y)
stats ts_a using 'pending_provider_requests' nooutput
count_max = larger(count_max, STATS_max)
stats ts_b using 'pending_provider_requests' nooutput
count_max = larger(count_max, STATS_max) + 1

# Selects run side (1 = a, 2 = b) for the next panel.
select_run = "side_ts = side == 1 ? ts_a : ts_b; " . \
    "side_inst = side == 1 ? inst_a : inst_b; " . \
    "side_names = side == 1 ? names_a : names_b; " . \
    "side_label = side == 1 ? label_a : label_b; " . \
    "side_overload = side == 1 ? overload_percent_a : overload_percent_b; " . \
    "act_times = side == 1 ? times_a : times_b; " . \
    "act_kinds = side == 1 ? kinds_a : kinds_b; " . \
    "act_instances = side == 1 ? act_instances_a : act_instances_b"

do for [fmt in formats] {
    eval use_terminal(fmt, 1600, 1300)
    set output out.'.'.fmt
    set multiplot layout 4, 2 rowsfirst title sprintf('%s (left) and %s (right)', label_a, label_b)
    set xrange [0:(time_max > 0 ? time_max : 1)]
    set key top right Left reverse opaque box
    set lmargin 10
    set rmargin 3

    do for [side = 1:2] {
        eval select_run
        act_labels = 1
        eval mark_actions
        set title side_label
        set ylabel 'CPU (% of capacity)'
        set yrange [0:cpu_max]
        plot 100 with lines lc rgb color_limit lw 1.5 title 'capacity', \
             side_overload with lines lc rgb color_threshold lw 1.5 dt 4 \
                 title (side_overload == side_overload ? 'overload' : ''), \
             for [i = 1:words(side_names)] side_inst \
                 using 'time_s':(strcol('instance') eq word(side_names, i) ? column('cpu_percent') : NaN) \
                 with lines lt i title word(side_names, i)
    }
    unset title
    act_labels = 0
    do for [side = 1:2] {
        eval select_run
        eval mark_actions
        set ylabel 'latency (ms)'
        set yrange [0:latency_max]
        plot side_ts using 'time_s':'latency_p50_ms' with lines lt 1 title 'p50', \
             side_ts using 'time_s':'latency_p95_ms' with lines lt 2 title 'p95', \
             side_ts using 'time_s':'latency_p99_ms' with lines lt 4 title 'p99'
    }
    do for [side = 1:2] {
        eval select_run
        eval mark_actions
        set ylabel 'failed requests/s'
        set yrange [0:errors_max]
        plot side_ts using 'time_s':'errors_per_s' with filledcurves y1=0 \
                 fs solid 0.35 noborder lc rgb color_scale_in notitle, \
             side_ts using 'time_s':'errors_per_s' with lines lc rgb color_scale_in lw 1.5 title 'failed'
    }
    do for [side = 1:2] {
        eval select_run
        eval mark_actions
        set ylabel 'count'
        set yrange [0:count_max]
        set ytics 1
        plot side_ts using 'time_s':'pending_provider_requests' with fillsteps \
                 fs transparent solid 0.3 noborder lt 2 title 'pending at provider', \
             side_ts using 'time_s':'instances' with steps lt 1 lw 2.5 title 'instances'
        set ytics autofreq
    }

    unset multiplot
    set output
}

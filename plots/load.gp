# Load against capacity: CPU (% of one instance's capacity) and requests/s,
# one line per instance, with the controller's actions marked.
# Reads instances.csv and actions.csv; writes load.png and load.svg.
# Run after common.gp (see README.md).

inst_file = run.'/instances.csv'
act_file = run.'/actions.csv'
eval read_instance_names
eval read_actions
stats inst_file using 'cpu_percent':'requests_per_s' nooutput
cpu_max = STATS_max_x > 115 ? STATS_max_x * 1.05 : 120
rps_max = STATS_max_y > 0 ? STATS_max_y * 1.15 : 1
n_instances = words(instance_names)

do for [fmt in formats] {
    eval use_terminal(fmt, 1200, 800)
    set output output_file('load', fmt)
    set multiplot layout 2, 1 title 'Load per instance against capacity'
    set key outside right top nobox
    set lmargin 10
    set rmargin 22

    set ylabel 'CPU (% of capacity)'
    set yrange [0:cpu_max]
    eval mark_actions
    plot 100 with lines lc rgb color_limit lw 1.5 dt 1 title 'capacity 100 %', \
         overload_percent with lines lc rgb color_threshold lw 1.5 dt 4 \
             title (overload_percent == overload_percent ? sprintf('overload %g %%', overload_percent) : ''), \
         for [i = 1:n_instances] inst_file \
             using 'time_s':(strcol('instance') eq word(instance_names, i) ? column('cpu_percent') : NaN) \
             with lines lt i title word(instance_names, i)

    set ylabel 'requests/s'
    set yrange [0:rps_max]
    unset label
    plot for [i = 1:n_instances] inst_file \
             using 'time_s':(strcol('instance') eq word(instance_names, i) ? column('requests_per_s') : NaN) \
             with lines lt i title word(instance_names, i)

    unset multiplot
    set output
}
